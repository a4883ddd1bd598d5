"""Finding one's neighborhood: walk the tree from the province down, or type
part of a name."""

from flask import Blueprint, flash, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, accounts, directory, facilitators
from hamsayeh.web import auth
from hamsayeh.web.templating import local_name

bp = Blueprint("areas", __name__, url_prefix="/areas")

AREA_KIND_LABELS = dict(
    zip(
        models.Area.KINDS,
        (_l("Province"), _l("County"), _l("City"), _l("District"), _l("Neighborhood")),
        strict=True,
    )
)
QUERY_MAX = 60


@bp.get("/")
def index():
    query = persian.normalize(request.args.get("q", ""))[:QUERY_MAX]
    results = list(models.Area.search(persian.fold(query))) if query else []
    return render_template(
        "areas/index.html",
        query=query,
        results=results,
        provinces=models.Area.roots(),
        kind_labels=AREA_KIND_LABELS,
    )


def area_or_404(area_id, *where):
    """The area tree is public: anyone, a guest too, walks it to find their neighborhood."""
    return get_object_or_404(models.Area.select(), models.Area.id == area_id, *where)


@bp.get("/<int:area_id>")
def show(area_id):
    area = area_or_404(area_id)
    return render_template(
        "areas/show.html",
        area=area,
        ancestors=area.ancestors(),
        children=area.sorted_children(),
        centers=models.Center.within(area).limit(20),
        facilitators=list(facilitators.facilitators_of(area)) if area.is_neighborhood else [],
        services=directory.services_near(area),
        keeps_directory=access.keeps_directory_of(g.user, g.roles, area),
        kind_labels=AREA_KIND_LABELS,
    )


@bp.post("/<int:area_id>/choose")
def choose(area_id):
    area = area_or_404(area_id, models.Area.kind == "neighborhood")
    flash(_("%(name)s is now your neighborhood.", name=local_name(area)))
    response = auth.after_choosing_neighborhood()
    if g.user is not None:
        accounts.update_profile(g.user, neighborhood=area)
        return response
    return auth.remember_cookie(response, auth.GUEST_NEIGHBORHOOD_COOKIE, str(area.id))
