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

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, accounts, board, callbacks, centers, directory, guests, timebank, volunteers
from hamsayeh.web import auth, files
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.labels import post_text
from hamsayeh.web.templating import digits

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
SERVICES_LISTED = 30  # services near me: within a basic phone's page
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
# When the time bank cannot pay for a help, beside the button that offers a gift instead.
GIFT_INSTEAD = _l(
    "Your time bank cannot give hours for this help now. You can still confirm it as a gift, with no hours."
)
# Why a call-back request was refused (callbacks.LimitReached), beside the form.
LIMIT_MESSAGES = {
    "phone": _l("This number has asked to be called back several times today. Please wait for the call."),
    "address": _l("Many requests came from here in the last hour. Please try again later, or visit your center."),
}


def kinds():
    by_slug = catalog().activity_by_slug
    hood = auth.chosen_neighborhood()
    # While a crisis holds the neighborhood, its kinds of need come first.
    crisis_kinds = catalog().crisis_types if hood is not None and catalog().crisis_of(hood.id) else []
    return (
        crisis_kinds
        + [by_slug[slug] for slug in KIND_ORDER if slug in by_slug]
        + [item for item in catalog().activity_types if item.slug not in KIND_ORDER]
    )


def need_type(slug):
    """A kind of need of the chosen neighborhood: a crisis's kinds too, while it is on."""
    hood = auth.chosen_neighborhood()
    return catalog().need_type(slug or "", hood.id if hood is not None else None)


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
    kind = need_type(request.args.get("type", ""))
    when = request.args.get("when") if request.args.get("when") in WHEN else None
    reach = request.args.get("reach") if request.args.get("reach") in REACH else None
    return kind, when, reach


@bp.get("/need")
def need_kind():
    # A guest asks too (confirming the number by SMS at the end), once they said where they live.
    if auth.chosen_neighborhood() is None:
        flash(_("First choose your neighborhood, so that your neighbors see your request."))
        return auth.send_to_choose_neighborhood("need")
    shown, more = kind_page(page_number())
    return step("need_kind", 1, 4, shown=shown, more=more, page=page_number())


@bp.get("/need/when")
def need_when():
    kind, _when, _reach = need_answers()
    if kind is None:
        return redirect(url_for("simple.need_kind"))
    return step("need_when", 2, 4, kind=kind, when=WHEN)


@bp.get("/need/reach")
def need_reach():
    kind, when, _reach = need_answers()
    if kind is None or when is None:
        return redirect(url_for("simple.need_kind"))
    return render_reach(Form(), kind, when)


def render_reach(form, kind, when, status=200):
    """How to reach me: a member chooses; a guest also types the mobile number
    that the code goes to (each choice is that form's button)."""
    page = step("need_reach", 3, 4, kind=kind, when_key=when, reach=REACH, form=form)
    return page, status


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
        text=post_text(models.HelpPost(**need_fields(kind, when, reach))),
        form_key=new_key(),
    )


def need_fields(kind, when, reach):
    """A need asked on the simple pages is its choices, never a sentence: each
    reader's page says them in its own language (labels.post_text). The
    words it is found by are the kind's names in both languages."""
    urgency = WHEN[when][0]
    return {
        "kind": "request",
        "activity_type": kind,
        "text": "",
        "search_key": persian.fold(f"{kind.name} {kind.name_en}"),
        "urgency": urgency,
        "needed_on": board.needed_day(urgency),
        "reach_by": reach,
    }


@bp.post("/need")
@auth.signed_in_only
def need_send():
    form = Form(request.form)
    kind = need_type(form["type"])
    if kind is None or form["when"] not in WHEN or form["reach"] not in REACH or g.user.neighborhood_id is None:
        return redirect(url_for("simple.need_kind"))
    key = form.form_key()
    post = board.create_post(
        g.user,
        key,
        **need_fields(kind, form["when"], form["reach"]),
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


# --- A guest asks for help: the number, confirmed by an SMS code, owns the request ----

# Why the code did not work, beside its field.
GUEST_CODE_PROBLEMS = {
    "wrong": _l("This code is not right. Check the SMS and type the 6 digits again."),
    "expired": _l(
        "This code no longer works: it is more than 10 minutes old, or it was tried too many times. "
        "Start again to get a new one."
    ),
    "used": _l("This code was used already. To ask again, go back and get a new code."),
    "disabled": _l("This number cannot ask for help here. Please call your center."),
    "form": _l("This request could not be sent. Please start again."),
    "again": _l("Please press the button once more."),
}


def guest_answers(values):
    """The kind, when and how to reach, from a guest's form; None for any that is wrong."""
    kind = need_type(values.get("type", ""))
    when = values.get("when") if values.get("when") in WHEN else None
    reach = values.get("reach") if values.get("reach") in REACH else None
    return kind, when, reach


def code_sms(code):
    return _(
        "Hamsayeh: your code to send your request for help is %(code)s. Never give it to anyone.", code=digits(code)
    )


@bp.post("/need/code")
def need_ask_code():
    """A guest's number: a code goes to it by SMS (limited per number and per
    address, as at sign-up). A member needs none."""
    form = Form(request.form)
    kind, when, reach = guest_answers(form.data)
    if g.user is not None and kind is not None:
        return redirect(url_for("simple.need_check", type=kind.slug, when=when, reach=reach))
    neighborhood = auth.chosen_neighborhood()
    if kind is None or when is None or reach is None or neighborhood is None:
        return redirect(url_for("simple.need_kind"))
    phone = form.phone()
    if not form.ok:
        return render_reach(form, kind, when, 422)
    sent = guests.send_code(phone, neighborhood.id, request.remote_addr or "unknown", code_sms)
    if not sent.request_id:
        minutes = digits(max(1, round(sent.wait_seconds / 60)))
        form.error(
            "phone", _l("Many codes were asked for just now. Wait %(minutes)s minutes and try again.", minutes=minutes)
        )
        return render_reach(form, kind, when, 429)
    # This browser asked: pressed twice at once, both presses find the request.
    session["ask_help"] = sent.request_id
    return redirect(url_for("simple.need_code", token=sent.request_id, type=kind.slug, when=when, reach=reach))


def guest_request_or_404(token):
    asked = guests.asked(token)
    if asked is None:
        abort(404)
    return asked


@bp.get("/need/code/<token>")
def need_code(token):
    """Step 4 for a guest: the request to send, and the code from the SMS;
    found only while the code may be used (sent, the guest is on the sent page)."""
    asked = guest_request_or_404(token)
    if not guests.still_open(asked):
        abort(404)
    kind, when, reach = need_answers()
    if kind is None or when is None or reach is None:
        return redirect(url_for("simple.need_kind"))
    return render_code(Form(form_key=new_key()), asked, token, (kind, when, reach))


def render_code(form, asked, token, answers, status=200):
    kind, when, reach = answers
    text = post_text(models.HelpPost(**need_fields(kind, when, reach)))
    context = {"kind": kind, "when_key": when, "reach_key": reach, "text": text}
    page = step("need_code", 4, 4, form=form, asked=asked, token=token, **context)
    return page, status


@bp.post("/need/code/<token>")
def need_code_send(token):
    """The right code sends the request for the number's account; this browser
    is signed in when the code is that account's only key (guests.may_sign_in)."""
    asked = guest_request_or_404(token)
    form = Form(request.form)
    kind, when, reach = guest_answers(form.data)
    if kind is None or when is None or reach is None:
        return redirect(url_for("simple.need_kind"))
    key = form.form_key()
    code = form.required("code", _l("Type the code from the SMS."))
    if form.ok:
        prefs = auth.current_preferences()
        display = {"text_size": prefs.text_size, "high_contrast": prefs.high_contrast, "simple_mode": True}
        display["language"] = auth.selected_locale()  # the page's: the new account's SMS speak it
        made = guests.ask_for_help(token, code, key, display, **need_fields(kind, when, reach))
        this_browser = session.get("ask_help") == token or (g.user is not None and g.user.id == asked.user_id)
        if made.problem == "used" and this_browser:
            # Pressed twice (at once, or again once signed in): the first press made it.
            post, owner = guests.request_made_by(token, key)
            if post is not None:
                made = made._replace(post=post, user=owner, signs_in=guests.may_sign_in(owner), problem=None)
        if made.post is not None:
            return guest_sent(made)
        form.error("code", GUEST_CODE_PROBLEMS[made.problem])
    form.data.pop("code", None)
    return render_code(form, asked, token, (kind, when, reach), 422)


def guest_sent(made):
    """Signed in to an account the code alone opens, on to its request; to an
    account with a PIN, the request is sent and the PIN opens it as always."""
    if not made.signs_in:
        return redirect(url_for("simple.need_sent_guest"))
    if g.user is None or g.user.id != made.user.id:
        auth.start_session(made.user)
    session.pop("ask_help", None)
    return auth.keep_guest_display(made.user, redirect(url_for("simple.need_sent", post_id=made.post.id)))


@bp.get("/need/sent")
def need_sent_guest():
    return render_template("simple/need_sent.html", post=None)


# --- Call me back ---------------------------------------------------------------


@bp.get("/call-me")
def call_me():
    return render_template("simple/call_me.html", form=Form(form_key=new_key()), centers=my_centers())


def my_centers():
    """The three centers nearest the chosen neighborhood, the member's own
    first (the rule of `centers.home_center`)."""
    neighborhood = auth.chosen_neighborhood()
    return centers.nearest_centers(neighborhood, limit=3) if neighborhood else []


@bp.post("/call-me")
def call_me_send():
    form = Form(request.form)
    key = form.form_key()
    neighborhood = auth.chosen_neighborhood()
    fields = {"user": g.user, "neighborhood": neighborhood, "source": "web"}
    if g.user is not None and g.user.phone and form["mine"] == "1":  # a neighbor without a phone has none
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
    in_crisis = catalog().crisis_of(neighborhood.id) is not None
    urgent = [item.id for item in catalog().crisis_types] if in_crisis else None
    posts, _more = models.HelpPost.board(catalog().nearby(neighborhood), kind="request", urgent_types=urgent)
    return render_template("simple/near.html", neighborhood=neighborhood, posts=posts[:5], centers=my_centers())


@bp.get("/services")
def services():
    """Services near me: the neighborhood's directory, each phone one tap away."""
    neighborhood = auth.chosen_neighborhood()
    found = directory.services_near(neighborhood, limit=SERVICES_LISTED) if neighborhood is not None else []
    return render_template("simple/services.html", neighborhood=neighborhood, sections=found)


@bp.get("/mine")
@auth.signed_in_only
def mine():
    return render_mine()


def render_mine(problem=None, status=200):
    """My requests, each with its answers in plain words: who offered (accept
    or say no here), who is coming, and the help to confirm. `problem` is
    (answer id, message), shown beside that answer's buttons."""
    posts = [post for post in board.posts_by(g.user, limit=10) if post.kind == "request"]
    page = render_template(
        "simple/mine.html",
        posts=posts,
        answers=models.HelpResponse.live_answers(posts),
        callbacks=list(callbacks.open_callbacks_of(g.user, limit=5)),
        plain=PLAIN_STATUS,
        problem=problem or (None, None),
    )
    return page, status


def answer_or_404(response_id, rule):
    """An answer that `rule` lets this member act on (one to their own
    request); anyone else's is not found."""
    response = get_object_or_404(models.HelpResponse.select(), models.HelpResponse.id == response_id)
    if not rule(g.user, g.roles, response):
        abort(404)
    return response


def change_answer(response, change, message, **extra):
    """The board's own change, then back to My requests."""
    try:
        change(response, g.user, **extra)
    except board.StateError:
        flash(_("This was already changed. Here is where it stands now."))
    else:
        flash(message)
    return redirect(url_for("simple.mine"))


@bp.post("/mine/answers/<int:response_id>/accept")
@auth.signed_in_only
def accept_answer(response_id):
    response = answer_or_404(response_id, access.asked_for_response)
    return change_answer(response, board.accept_response, _("Accepted. You can now see each other's contact details."))


@bp.post("/mine/answers/<int:response_id>/decline")
@auth.signed_in_only
def decline_answer(response_id):
    response = answer_or_404(response_id, access.asked_for_response)
    return change_answer(response, board.decline_response, _("Declined, with thanks."))


@bp.post("/mine/answers/<int:response_id>/confirm")
@auth.signed_in_only
def confirm_answer(response_id):
    """Yes, I was helped: the board's confirmation, paying the post's estimate
    as the board does by default, or nothing when the member chose a gift."""
    response = answer_or_404(response_id, access.may_confirm_help)
    actor = g.get("actor")
    if actor is not None and not access.may_confirm_as_actor(actor, g.actor_roles, response):
        abort(404)
    minutes = 0 if request.form.get("gift") == "1" else response.post.estimate_minutes
    try:
        return change_answer(
            response,
            board.confirm_help,
            _("Thank you for confirming. The help is recorded as done."),
            minutes=minutes,
            made_by=actor,
        )
    except timebank.TransferError:
        return render_mine(problem=(response.id, GIFT_INSTEAD), status=422)


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
    12 kbit/s), made on the first request and kept in the file store every
    node shares: audio only on demand, a few kilobytes, cached by the phone
    for a year."""
    try:
        text = speech_signer().loads(token)
    except BadSignature:
        abort(404)
    name = f"speech/{hashlib.sha256(text.encode()).hexdigest()}.ogg"
    store = files.store()
    if not store.exists(name):
        espeak, opusenc = shutil.which("espeak-ng"), shutil.which("opusenc")
        if not (espeak and opusenc):
            abort(503)
        with tempfile.TemporaryDirectory() as work:
            wav, ogg = Path(work) / "speech.wav", Path(work) / "speech.ogg"
            # No shell; the words are the site's own (signed) and come after "--".
            speak = [espeak, "-v", "fa", "-s", "140", "-w", wav, "--", text]
            subprocess.run(speak, check=True, timeout=30)  # noqa: S603
            subprocess.run([opusenc, "--quiet", "--speech", "--bitrate", "12", wav, ogg], check=True, timeout=30)  # noqa: S603
            store.write(name, ogg.read_bytes())  # whole or not at all
    response = store.send(name, "audio/ogg", max_age=365 * 24 * 3600)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.app_template_global()
def page_speech(question_html):
    return listen_url(question_html)
