"""Certificates of volunteer hours: a volunteer prints their own, a center's
staff print one for a member of their center; a QR code on each opens a
public page that shows what the certificate states, and nothing else."""

from flask import Blueprint, abort, current_app, g, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh.domain import access, certificates
from hamsayeh.web import auth, limits, pdf
from hamsayeh.web.forms import Form, new_key

bp = Blueprint("certificates", __name__, url_prefix="/certificates")


def signing_key():
    return current_app.config["SECRET_KEY"]


def issuer_name(item):
    """The issuing center's name as printed, in the page's language."""
    if not item.center_name:
        return _("The Salam Mahalleh volunteer network")
    if get_locale().language != "fa" and item.center_name_en:
        return item.center_name_en
    return item.center_name


# --- Loaders: each fetches its object (404) and checks who asks (403) --------------------


def holder_for_certifying(user_id):
    holder = get_object_or_404(models.User, models.User.id == user_id)
    if not access.may_certify(g.user, g.roles, holder):
        abort(403)
    return holder


def certificate_for_printing(certificate_id):
    item = get_object_or_404(models.Certificate, models.Certificate.id == certificate_id)
    if not access.may_certify(g.user, g.roles, item.holder):
        abort(403)
    return item


# --- A person's certificates ----------------------------------------------------------------


def render_person(holder, form, status=200):
    return render_template(
        "certificates/person.html",
        holder=holder,
        own=holder.id == g.user.id,
        periods=certificates.hours_by_period(holder, g.user),
        issued=certificates.certificates_of(holder),
        center=certificates.issuing_center(holder, g.user),
        form=form,
    ), status


@bp.get("/people/<int:user_id>")
@auth.signed_in_only
def person(user_id):
    return render_person(holder_for_certifying(user_id), Form(form_key=new_key(), period="all"))


@bp.post("/people/<int:user_id>")
@auth.signed_in_only
@limits.expensive  # each issue writes a row: a member cannot fill the table
def issue(user_id):
    holder = holder_for_certifying(user_id)
    form = Form(request.form)
    try:
        item = certificates.issue_certificate(holder, g.user, form["period"], form.form_key(), signing_key())
    except certificates.UnknownPeriod:
        form.error("period", _l("Choose the period the certificate covers."))
    except certificates.NothingToCertify:
        form.error("period", _l("This period has no hours and no programs yet. Choose another."))
    if not form.ok:
        return render_person(holder, form, 422)
    return redirect(url_for("certificates.download", certificate_id=item.id))


@bp.get("/<int:certificate_id>.pdf")
@auth.signed_in_only
@limits.expensive
def download(certificate_id):
    item = certificate_for_printing(certificate_id)
    token = certificates.certificate_token(item, signing_key())
    if token is None:  # the site's key changed: the copies printed before still open their page
        abort(404)
    url = url_for("certificates.check", token=token, _external=True)
    return pdf.response(
        "pdf/certificate.html",
        f"certificate-{item.id}.pdf",
        certificate=item,
        issuer=issuer_name(item),
        qr=pdf.qr_code(url),
        url=url,
    )


# --- The page a certificate's QR code opens -------------------------------------------------


@bp.get("/<token>")
def check(token):
    """Public, for whoever reads a certificate: what it states, nothing more.
    An unknown or altered token is 404, like any address that is not there."""
    item = certificates.certificate_by_token(token) or abort(404)
    response = make_response(render_template("certificates/check.html", certificate=item, issuer=issuer_name(item)))
    response.headers["X-Robots-Tag"] = "noindex"
    return response
