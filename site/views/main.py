"""The home page, display preferences, the language switch, and the htmx
file this site serves itself."""

from pathlib import Path

from flask import Blueprint, current_app, g, redirect, render_template, request, send_file, url_for
from flask_babel import lazy_gettext as _l

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, centers
from hamsayeh.web import auth
from hamsayeh.web.cache import guest_page
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form

bp = Blueprint("main", __name__)

HTMX_VERSION = "2.0.11"
# The centers the home page lists: the member's own first (`centers.home_center`), then the nearest.
CENTERS_NEAR = 3
TEXT_SIZE_LABELS = tuple(dict(zip(models.TEXT_SIZES, (_l("Normal"), _l("Large"), _l("Largest")), strict=True)).values())


@bp.get("/")
def home():
    # Whoever chose the simple pages (a member, or a guest on this device) starts there.
    if auth.current_preferences().simple_mode:
        return redirect(url_for("simple.home"))
    neighborhood = auth.chosen_neighborhood()

    def page():
        near = centers.nearest_centers(neighborhood, limit=CENTERS_NEAR) if neighborhood else ()
        return render_template("main/home.html", neighborhood=neighborhood, centers=near)

    # A guest's home shows the area tree (with any crisis) and the centers near the chosen neighborhood.
    return guest_page("home", (catalog().revision, models.revision("centers")), page)


@bp.get("/preferences")
def preferences():
    prefs = auth.current_preferences()
    form = Form(text_size=str(prefs.text_size), high_contrast="1" if prefs.high_contrast else "")
    return render_template(
        "main/preferences.html", form=form, sizes=TEXT_SIZE_LABELS, back=request.args.get("next", "")
    )


@bp.post("/preferences")
def save_preferences():
    form = Form(request.form)
    prefs = auth.current_preferences()
    text_size = persian.whole_number(form["text_size"])
    if text_size in models.TEXT_SIZES:
        prefs.text_size = text_size
    prefs.high_contrast = form["high_contrast"] == "1"
    if g.user is not None:
        accounts.update_profile(g.user, text_size=prefs.text_size, high_contrast=prefs.high_contrast)
    else:
        prefs.chosen = True  # kept at sign-in (auth.keep_guest_display)
    response = redirect(auth.safe_next(form["next"], "main.preferences"))
    return auth.remember_cookie(response, auth.PREFERENCES_COOKIE, prefs.to_cookie())


@bp.post("/language")
def set_language():
    form = Form(request.form)
    language = form["language"] if form["language"] in current_app.config["LANGUAGES"] else "fa"
    if g.user is not None:
        accounts.update_profile(g.user, language=language)
    response = redirect(auth.safe_next(form["next"]))
    return auth.remember_cookie(response, auth.LANGUAGE_COOKIE, language)


@bp.get(f"/assets/htmx-{HTMX_VERSION}.min.js")
def htmx_script():
    """htmx from this site, precompressed, cached for a year: the versioned
    address changes when the file does."""
    vendor = Path(current_app.static_folder) / "vendor"
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    path = vendor / ("htmx.min.js.gz" if gzipped else "htmx.min.js")
    response = send_file(path, mimetype="text/javascript", max_age=365 * 24 * 3600, conditional=True)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
