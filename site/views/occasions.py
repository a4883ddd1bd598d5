"""The year's occasions (/occasions/): what is coming, and the campaigns
planned around each, near the neighborhood one chose. A small "coming soon"
list (templates/occasions/_coming.html) serves other pages."""

from flask import Blueprint, render_template, request

from hamsayeh import persian
from hamsayeh.domain import occasions
from hamsayeh.web import auth

bp = Blueprint("occasions", __name__, url_prefix="/occasions")


@bp.get("/")
def index():
    today = occasions.today()
    held = occasions.years()
    year = persian.whole_number(request.args.get("year", ""), 9999)
    if year not in held:
        year = occasions.jalali_year(today) if occasions.jalali_year(today) in held or not held else held[0]
    neighborhood = auth.chosen_neighborhood()
    listed = occasions.of_year(year)
    return render_template(
        "occasions/index.html",
        year=year,
        years=held,
        occasions=[(item, occasions.days_until(item, today)) for item in listed],
        around=occasions.campaigns_around(listed, neighborhood),
        neighborhood=neighborhood,
    )


@bp.app_template_global()
def coming_occasions(neighborhood=None):
    """For a page's "coming soon": [(occasion, days until, campaigns near `neighborhood`)]."""
    return occasions.coming_soon(neighborhood)
