"""The simple pages (/simple) for seniors, people with disabilities and basic
phones: one question a page, at most four big choices with a pictogram, no
typing where a choice will do, a progress line, Back and Start again on every
step, nothing timed and nothing that moves. Every answer travels in the
address, so each step is a plain link and works without JavaScript; the last
step is one form that makes the same request as the neighborhood board."""

import hashlib
import html
import re
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, accounts, board, callbacks, volunteers
from hamsayeh.web import auth
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.labels import STATUS_LABELS

bp = Blueprint("simple", __name__, url_prefix="/simple")

# The kinds of help seniors ask for most come first; three a page and "more".
KIND_ORDER = (
    "errands",
    "health",
    "companionship",
    "repairs",
    "transport",
    "food",
    "elderly",
    "paperwork",
    "disability",
    "education",
    "counseling",
    "children",
    "other",
)
PER_PAGE = 3
WHEN = {
    "today": (2, _l("Today"), "clock"),
    "week": (1, _l("This week"), "calendar"),
    "any": (0, _l("Any day"), "any"),
}
REACH = {
    "phone": (_l("Call my phone"), "phone"),
    "door": (_l("Come to my door"), "home"),
}
# Weekday bits as in VolunteerProfile: Saturday is bit 0, Friday bit 6.
DAYS = {
    "weekdays": (0b0011111, _l("Saturday to Wednesday"), "calendar"),
    "weekend": (0b1100000, _l("Thursday and Friday"), "calendar"),
    "all": (0b1111111, _l("Any day of the week"), "any"),
}
PLAIN_STATUS = dict(
    zip(
        models.HelpPost.STATUSES,
        (_l("Waiting for a neighbor to answer"), _l("A neighbor is going to help"), _l("Done"), _l("Cancelled")),
        strict=True,
    )
)
# Why a call-back request was refused (callbacks.LimitReached), beside the form.
LIMIT_MESSAGES = {
    "phone": _l("This number has asked to be called back several times today. Please wait for the call."),
    "address": _l("Many requests came from here in the last hour. Please try again later, or visit your center."),
}


def kinds():
    by_slug = catalog().activity_by_slug
    return [by_slug[slug] for slug in KIND_ORDER if slug in by_slug] + [
        item for item in catalog().activity_types if item.slug not in KIND_ORDER
    ]


def kind_page(number):
    """The activity types of one page of choices, and whether more follow."""
    listed = kinds()
    start = number * PER_PAGE
    shown = listed[start : start + PER_PAGE]
    more = start + PER_PAGE < len(listed)
    if not more and len(listed) - start == PER_PAGE + 1:
        shown, more = listed[start:], False  # the last four fit on one page
    return shown, more


def page_number():
    text = request.args.get("page", "0")
    number = persian.whole_number(text)
    return number if number is not None and number < len(KIND_ORDER) else 0


def step(template, number, of, **context):
    return render_template(f"simple/{template}.html", step_number=number, steps=of, **context)


@bp.get("/")
def home():
    return render_template("simple/home.html")


# --- I need help: what › when › how to reach me › send ---------------------------


def need_answers():
    """The answers so far, from the address; unknown ones are dropped."""
    kind = catalog().activity_by_slug.get(request.args.get("type", ""))
    when = request.args.get("when") if request.args.get("when") in WHEN else None
    reach = request.args.get("reach") if request.args.get("reach") in REACH else None
    return kind, when, reach


@bp.get("/need")
@auth.signed_in_only
def need_kind():
    shown, more = kind_page(page_number())
    return step("need_kind", 1, 4, shown=shown, more=more, page=page_number())


@bp.get("/need/when")
@auth.signed_in_only
def need_when():
    kind, _when, _reach = need_answers()
    if kind is None:
        return redirect(url_for("simple.need_kind"))
    return step("need_when", 2, 4, kind=kind, when=WHEN)


@bp.get("/need/reach")
@auth.signed_in_only
def need_reach():
    kind, when, _reach = need_answers()
    if kind is None or when is None:
        return redirect(url_for("simple.need_kind"))
    return step("need_reach", 3, 4, kind=kind, when_key=when, reach=REACH)


@bp.get("/need/check")
@auth.signed_in_only
def need_check():
    kind, when, reach = need_answers()
    if kind is None or when is None or reach is None:
        return redirect(url_for("simple.need_kind"))
    if g.user.neighborhood_id is None:
        return redirect(url_for("areas.index"))
    return step(
        "need_check",
        4,
        4,
        kind=kind,
        when_key=when,
        reach_key=reach,
        text=need_text(kind, when, reach),
        form_key=new_key(),
    )


def need_text(kind, when, reach):
    """The words the board shows for a need asked on the simple pages."""
    wanted = _("Help with %(kind)s, %(when)s.", kind=kind.name, when=str(WHEN[when][1]).lower())
    return f"{wanted} {REACH[reach][0]}."


@bp.post("/need")
@auth.signed_in_only
def need_send():
    form = Form(request.form)
    kind = catalog().activity_by_slug.get(form["type"])
    if kind is None or form["when"] not in WHEN or form["reach"] not in REACH or g.user.neighborhood_id is None:
        return redirect(url_for("simple.need_kind"))
    key = form.form_key()
    text = need_text(kind, form["when"], form["reach"])
    post = board.create_post(
        g.user,
        key,
        kind="request",
        activity_type=kind,
        text=text,
        search_key=persian.fold(text),
        urgency=WHEN[form["when"]][0],
        neighborhood=catalog().neighborhood(g.user.neighborhood_id),
        filed_by=g.actor,
    )
    if post is None:
        abort(400)
    return redirect(url_for("simple.need_sent", post_id=post.id))


def own_post_or_404(post_id):
    """The member's own post; anyone else's is not found."""
    post = get_object_or_404(models.HelpPost.select(), models.HelpPost.id == post_id)
    if not access.is_post_author(g.user, g.roles, post):
        abort(404)
    return post


@bp.get("/need/sent/<int:post_id>")
@auth.signed_in_only
def need_sent(post_id):
    return render_template("simple/need_sent.html", post=own_post_or_404(post_id))


# --- Call me back ---------------------------------------------------------------


@bp.get("/call-me")
def call_me():
    return render_template("simple/call_me.html", form=Form(form_key=new_key()), centers=my_centers())


def my_centers():
    neighborhood = auth.chosen_neighborhood()
    return list(models.Center.within(neighborhood.parent or neighborhood)) if neighborhood else []


@bp.post("/call-me")
def call_me_send():
    form = Form(request.form)
    key = form.form_key()
    neighborhood = auth.chosen_neighborhood()
    fields = {"user": g.user, "neighborhood": neighborhood, "source": "web"}
    if g.user is not None and form["mine"] == "1":
        fields["phone"] = g.user.phone
    elif form["way"] == "center":
        centers = {str(center.id): center for center in my_centers()}
        name = form["name"]
        if not name or len(name) > 80:
            form.error("name", _l("Write your name, so that the center knows whom to call."))
        if form["center"] not in centers:
            form.error("center", _l("Choose the center where they can find you."))
        fields.update(name=name, center=centers.get(form["center"]))
    else:
        fields["phone"] = form.phone()
    if not form.ok:
        return render_template("simple/call_me.html", form=form, centers=my_centers()), 422
    try:
        callbacks.request_callback(form_key=key, address=request.remote_addr or "unknown", **fields)
    except callbacks.LimitReached as limit:
        # Beside the field that was used; the form keeps what was typed.
        field = "mine" if form["mine"] == "1" and g.user is not None else "name" if form["way"] == "center" else "phone"
        form.error(field, LIMIT_MESSAGES[limit.reason])
        return render_template("simple/call_me.html", form=form, centers=my_centers()), 429
    return redirect(url_for("simple.called"))


@bp.get("/call-me/sent")
def called():
    return render_template("simple/called.html")


# --- I want to help -----------------------------------------------------------------


@bp.get("/help-out")
@auth.signed_in_only
def help_kind():
    shown, more = kind_page(page_number())
    return step("help_kind", 1, 3, shown=shown, more=more, page=page_number())


@bp.get("/help-out/days")
@auth.signed_in_only
def help_days():
    kind = catalog().activity_by_slug.get(request.args.get("type", ""))
    if kind is None:
        return redirect(url_for("simple.help_kind"))
    return step("help_days", 2, 3, kind=kind, days=DAYS, form_key=secrets.token_urlsafe(8))


@bp.post("/help-out")
@auth.signed_in_only
def help_send():
    form = Form(request.form)
    kind = catalog().activity_by_slug.get(form["type"])
    if kind is None or form["days"] not in DAYS:
        return redirect(url_for("simple.help_kind"))
    neighborhood = catalog().neighborhood(g.user.neighborhood_id) if g.user.neighborhood_id else None
    if neighborhood is None:
        return redirect(url_for("areas.index"))
    volunteers.add_activity(g.user, neighborhood, kind, DAYS[form["days"]][0])
    return step("help_sent", 3, 3, kind=kind)


# --- What is happening near me, and my requests ---------------------------------------


@bp.get("/near")
def near():
    neighborhood = auth.chosen_neighborhood()
    if neighborhood is None:
        return render_template("simple/near.html", neighborhood=None)
    posts, _more = models.HelpPost.board(catalog().nearby(neighborhood), kind="request")
    return render_template("simple/near.html", neighborhood=neighborhood, posts=posts[:5], centers=my_centers())


@bp.get("/mine")
@auth.signed_in_only
def mine():
    return render_template(
        "simple/mine.html",
        posts=board.posts_by(g.user, limit=10),
        callbacks=list(callbacks.open_callbacks_of(g.user, limit=5)),
        plain=PLAIN_STATUS,
        labels=STATUS_LABELS,
    )


# --- Simple or full: a preference ---------------------------------------------------


@bp.post("/mode")
def set_mode():
    """One button on every page switches between the simple and the full site."""
    simple = request.form.get("simple") == "1"
    prefs = auth.current_preferences()
    prefs.simple_mode = simple
    if g.user is not None:
        accounts.update_profile(g.user, simple_mode=simple)
    response = redirect(url_for("simple.home" if simple else "main.home"))
    return auth.remember_cookie(response, auth.PREFERENCES_COOKIE, prefs.to_cookie())


# --- Listen -------------------------------------------------------------------------

SPEECH_MAX = 600
SPOKEN = re.compile(r"<h1>(.*?)</h1>|<span>(.*?)</span>|<p class=\"big\">(.*?)</p>", re.S)
TAGS = re.compile(r"<[^>]+>")


def speech_text(question_html):
    """What Listen says: the page's question, its choices and its main answer."""
    parts = [next(part for part in found if part) for found in SPOKEN.findall(str(question_html))]
    text = ". ".join(html.unescape(TAGS.sub("", part)).strip() for part in parts)
    return text[:SPEECH_MAX]


def speech_signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="speech")


def listen_url(question_html):
    """A link to the page's words as speech, signed: the site speaks only its own words."""
    text = speech_text(question_html)
    return url_for("simple.listen", token=speech_signer().dumps(text)) if text else None


@bp.get("/listen/<token>.ogg")
def listen(token):
    """The words, spoken in Persian by espeak-ng and compressed to Opus (about
    12 kbit/s), made on the first request and kept on disk: audio only on
    demand, a few kilobytes, cached by the phone for a year."""
    try:
        text = speech_signer().loads(token)
    except BadSignature:
        abort(404)
    folder = Path(current_app.instance_path) / "speech"
    audio = folder / f"{hashlib.sha256(text.encode()).hexdigest()}.ogg"
    if not audio.exists():
        espeak, opusenc = shutil.which("espeak-ng"), shutil.which("opusenc")
        if not (espeak and opusenc):
            abort(503)
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as work:
            wav, ogg = Path(work) / "speech.wav", Path(work) / "speech.ogg"
            # No shell; the words are the site's own (signed) and come after "--".
            speak = [espeak, "-v", "fa", "-s", "140", "-w", wav, "--", text]
            subprocess.run(speak, check=True, timeout=30)  # noqa: S603
            subprocess.run([opusenc, "--quiet", "--speech", "--bitrate", "12", wav, ogg], check=True, timeout=30)  # noqa: S603
            # Moved in one step: a reader never sees half a file.
            ogg.replace(audio)
    response = send_file(audio, mimetype="audio/ogg", max_age=365 * 24 * 3600, conditional=True)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.app_template_global()
def page_speech(question_html):
    return listen_url(question_html)
