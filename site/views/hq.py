"""Headquarters' view of an area: open needs, assets, volunteers by activity
type, ideas by state and age, and the neighborhoods no facilitator covers, as
server-drawn charts and tables with a CSV of the same counts. Counts only:
nothing here names a person. A subtree's manager sees their subtree."""

import io

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, areas_admin, network
from hamsayeh.web import auth, spreadsheets
from hamsayeh.web.labels import IDEA_STATUS_LABELS
from hamsayeh.web.templating import local_name

bp = Blueprint("hq", __name__, url_prefix="/hq")

SECTIONS = (
    ("needs", _l("Open needs on the board, by kind of activity")),
    ("need_stories", _l("Needs in the facilitators' stories")),
    ("assets", _l("Assets in the facilitators' stories")),
    ("volunteers", _l("Volunteers, by kind of activity")),
)
AGE_LABELS = (_l("Under a month"), _l("One to three months"), _l("Older"))


def kind_label(kind):
    return local_name(kind) if kind is not None else _("Kind not given")


def area_from_args():
    """The area asked for (None: all of Iran), which the user keeps:
    headquarters anywhere, a subtree's manager within it."""
    area_id = persian.whole_number(request.args.get("area", ""))
    area = get_object_or_404(models.Area.select(), models.Area.id == area_id) if area_id is not None else None
    if not access.manages_area(g.user, g.roles, area):
        if area is None and areas_admin.managed_areas(g.user):
            abort(redirect(url_for("hq.overview", area=areas_admin.managed_areas(g.user)[0].id)))
        abort(403)
    return area


@bp.get("/")
@auth.requires(access.may_keep_the_tree)
def overview():
    area = area_from_args()
    counts = network.area_overview(area)
    charts = [(name, title, [(kind_label(kind), count) for kind, count in counts[name]]) for name, title in SECTIONS]
    return render_template(
        "hq/overview.html",
        area=area,
        # A subtree's manager is led only to the places they keep.
        ancestors=[place for place in area.ancestors() if access.manages_area(g.user, g.roles, place)] if area else [],
        children=list(area.sorted_children() if area else models.Area.roots()),
        charts=charts,
        ideas=[(IDEA_STATUS_LABELS[status], ages) for status, ages in counts["ideas"]],
        idea_totals=[(IDEA_STATUS_LABELS[status], sum(ages)) for status, ages in counts["ideas"]],
        age_labels=AGE_LABELS,
        counts=counts,
    )


@bp.get("/overview.csv")
@auth.requires(access.may_keep_the_tree)
def overview_csv():
    """The same counts as the page, one row each: section, item, count."""
    area = area_from_args()
    counts = network.area_overview(area)
    out = io.StringIO()
    writer = spreadsheets.writer(out)
    writer.writerow([_("Section"), _("Item"), _("Count")])
    for name, title in SECTIONS:
        writer.writerows([str(title), kind_label(kind), count] for kind, count in counts[name])
    for status, ages in counts["ideas"]:
        writer.writerows(
            [_("Ideas"), f"{IDEA_STATUS_LABELS[status]}: {age}", count]
            for age, count in zip(AGE_LABELS, ages, strict=True)
        )
    writer.writerow([_("Coverage"), _("Neighborhoods"), counts["neighborhoods"]])
    writer.writerow([_("Coverage"), _("Neighborhoods without a facilitator"), counts["uncovered"]])
    name = f"hamsayeh-area-{area.id}.csv" if area else "hamsayeh-all.csv"
    # A byte-order mark, so that spreadsheet programs read the Persian right.
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
