"""Headquarters' imports (administrators only): the area tree, centers,
facilitators with their training hours, and volunteers from an earlier
sign-up list, each from a CSV or XLSX file. A page per import: upload, check
(every bad row named with its reason, nothing written), import (the counts of
what came in). The same files import from the command line, for larger ones
(`flask import-areas FILE` …). The engine: site/domain/imports.py."""

from flask import Blueprint, g, render_template, request

from hamsayeh.domain import access
from hamsayeh.web import auth, bulk, limits
from hamsayeh.web.forms import Form

bp = Blueprint("imports", __name__, url_prefix="/hq/imports")

# A page shows this many of a file's problems; the command lists them all.
PROBLEMS_SHOWN = 200


@bp.get("/")
@auth.requires(access.may_import_lists)
def index():
    return render_template("imports/index.html", kinds=bulk.KINDS, titles=bulk.TITLES)


def render_upload(kind, form, result=None, status=200):
    return (
        render_template(
            "imports/upload.html",
            kind=kind,
            title=bulk.TITLES[kind],
            columns=bulk.engine.IMPORTERS[kind].columns,
            labels=bulk.COLUMN_LABELS,
            description=bulk.DESCRIPTIONS[kind],
            count_labels=bulk.COUNT_LABELS[kind],
            form=form,
            result=result,
            shown=PROBLEMS_SHOWN,
            most_rows=bulk.PAGE_ROWS,
            reason=bulk.reason,
        ),
        status,
    )


@auth.requires(access.may_import_lists)
def upload(kind):
    return render_upload(kind, Form())


@auth.requires(access.may_import_lists)
@limits.expensive
def run(kind):
    """Check the file's every row; import it when asked and nothing is bad."""
    form = Form(request.form)
    file = request.files.get("file")
    data = file.read() if file else b""
    if not data:
        form.error("file", bulk.REASONS["no_rows"])
        return render_upload(kind, form, status=422)
    write = form["action"] == "import"
    result = bulk.run(kind, data, g.user, write=write)
    return render_upload(kind, Form(), result, 200 if result.ok else 422)


# One page per import, each at its own address (/hq/imports/areas …).
for _kind in bulk.KINDS:
    bp.add_url_rule(f"/{_kind}", view_func=upload, methods=["GET"], defaults={"kind": _kind})
    bp.add_url_rule(f"/{_kind}", view_func=run, methods=["POST"], defaults={"kind": _kind})
