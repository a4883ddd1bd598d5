"""Files the site makes, kept in the database: every node reads what any node
wrote, and a backup of the database carries them. (A site that names a shared
folder, HAMSAYEH_FILES_DIR, keeps them there instead: see hamsayeh.web.files.)"""

import hashlib

from models import StoredFile, utcnow, write_transaction


def read(name):
    """(data, digest, created_at) of the file called `name`, or None."""
    row = (
        StoredFile.select(StoredFile.data, StoredFile.digest, StoredFile.created_at)
        .where(StoredFile.name == name)
        .tuples()
        .first()
    )
    return None if row is None else (bytes(row[0]), row[1], row[2])


def exists(name):
    return StoredFile.select().where(StoredFile.name == name).exists()


def write(name, data, replacing=""):
    """Keep `data` as `name`, whole or not at all; with `replacing`, the older
    files whose names start with it go in the same transaction."""
    digest = hashlib.sha256(data).hexdigest()
    with write_transaction():
        if replacing:
            StoredFile.delete().where(StoredFile.name.startswith(replacing), StoredFile.name != name).execute()
        StoredFile.insert(name=name, data=data, size=len(data), digest=digest, created_at=utcnow()).on_conflict(
            conflict_target=[StoredFile.name],
            update={StoredFile.data: data, StoredFile.size: len(data), StoredFile.digest: digest},
        ).execute()
    return digest


def remove(name):
    with write_transaction():
        StoredFile.delete().where(StoredFile.name == name).execute()
