"""Where the files the site makes are kept (a batch of volunteer cards, a kept
flyer, Listen's audio): in a folder every node shares when HAMSAYEH_FILES_DIR
names one (an NFS mount, say), else in the database. Never one server's own
disk: a file made by the worker or one node is read by any other.

Names are relative paths like `prints/batch-7.pdf`. A file appears whole or
not at all (written aside, then renamed; or in one transaction)."""

import hashlib
import io
import os
import uuid
from pathlib import Path

from flask import current_app, send_file

from hamsayeh.domain import files as stored


class DatabaseFiles:
    """Files in the `stored_file` table (hamsayeh.domain.files)."""

    def read(self, name):
        found = stored.read(name)
        return None if found is None else found[0]

    def exists(self, name):
        return stored.exists(name)

    def write(self, name, data, replacing=""):
        stored.write(name, data, replacing)

    def send(self, name, mimetype, download_name=None, max_age=None):
        found = stored.read(name)
        if found is None:
            return None
        data, digest, made_at = found
        return send_file(
            io.BytesIO(data),
            mimetype=mimetype,
            download_name=download_name,
            as_attachment=False,
            etag=digest,
            last_modified=made_at,
            max_age=max_age,
            conditional=True,
        )


class FolderFiles:
    """Files under a folder that every node mounts."""

    def __init__(self, root):
        self.root = Path(root)

    def path(self, name):
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"not a file name: {name!r}")
        return path

    def read(self, name):
        path = self.path(name)
        return path.read_bytes() if path.exists() else None

    def exists(self, name):
        return self.path(name).exists()

    def write(self, name, data, replacing=""):
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        temporary.write_bytes(data)
        os.chmod(temporary, 0o640)
        temporary.replace(path)  # a reader never sees half a file
        if replacing:
            older = self.path(replacing)
            for other in older.parent.glob(older.name + "*"):
                if other != path and not other.name.startswith("."):
                    other.unlink(missing_ok=True)

    def send(self, name, mimetype, download_name=None, max_age=None):
        path = self.path(name)
        if not path.exists():
            return None
        return send_file(path, mimetype=mimetype, download_name=download_name, max_age=max_age, conditional=True)


def make_store(config):
    folder = config.get("FILES_DIR", "")
    return FolderFiles(folder) if folder else DatabaseFiles()


def store():
    """This application's store, chosen once from its configuration."""
    found = current_app.extensions.get("files")
    if found is None:
        found = current_app.extensions["files"] = make_store(current_app.config)
    return found


def versioned_name(folder, stem, version, suffix):
    """`folder/stem-<digest of version>.suffix`: a new version is a new name,
    and writing it with replacing=`folder/stem-` drops the older ones."""
    digest = hashlib.sha256(repr(version).encode()).hexdigest()[:24]
    return f"{folder}/{stem}-{digest}{suffix}", f"{folder}/{stem}-"
