"""Administrators find a member by phone number, set their roles, and
disable or enable the account. Every look-up and change is audited."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, accounts, audit, centers
from hamsayeh.web import auth
from hamsayeh.web.forms import Form

bp = Blueprint("people", __name__, url_prefix="/admin/people")


def member_or_404(user_id):
    """Any member: the whole blueprint is headquarters' (the page guard)."""
    return get_object_or_404(models.User, models.User.id == user_id)


@bp.get("/")
@auth.requires(access.is_headquarters)
def find():
    return render_template("people/find.html", form=Form(), member=None)


@bp.post("/")
@auth.requires(access.is_headquarters)
def look_up():
    """A POST, so that phone numbers stay out of addresses, logs and history."""
    form = Form(request.form)
    phone = form.phone()
    member = None
    if form.ok:
        member = models.User.by_phone(phone)
        audit.audit("people.lookup", actor=g.user, subject=f"user:{member.id}" if member else "none")
        if member is None:
            form.error("phone", _l("No account has this number."))
    return render_template("people/find.html", form=form, member=member), 200 if form.ok else 422


@bp.get("/<int:user_id>")
@auth.requires(access.is_headquarters)
def show(user_id):
    member = member_or_404(user_id)
    return render_template(
        "people/show.html",
        member=member,
        roles=member.roles(),
        role_labels=auth.ROLE_LABELS,
        centers=centers.centers_near(member),
    )


@bp.post("/<int:user_id>/center")
@auth.requires(access.is_headquarters)
def save_center(user_id):
    """Where a center staff member works: they look after its members."""
    member = member_or_404(user_id)
    chosen = persian.normalize(request.form.get("center"))
    center = None
    if chosen:
        center = next((c for c in centers.centers_near(member) if str(c.id) == chosen), None)
        if center is None:
            abort(400)
    accounts.set_work_center(member, center, actor=g.user)
    flash(_("The center where %(name)s works is saved.", name=member.name))
    return redirect(url_for("people.show", user_id=member.id))


@bp.post("/<int:user_id>/roles")
@auth.requires(access.is_headquarters)
def save_roles(user_id):
    member = member_or_404(user_id)
    roles = {role for role in request.form.getlist("role") if role in models.ROLES}
    if member.id == g.user.id and "admin" not in roles:
        flash(_("You cannot take away your own administrator role. Ask another administrator."))
        return redirect(url_for("people.show", user_id=member.id))
    if not roles:
        flash(_("A member needs at least one role."))
        return redirect(url_for("people.show", user_id=member.id))
    accounts.set_roles(member, roles, actor=g.user)
    flash(_("The roles of %(name)s are saved.", name=member.name))
    return redirect(url_for("people.show", user_id=member.id))


@bp.post("/<int:user_id>/active")
@auth.requires(access.is_headquarters)
def save_active(user_id):
    member = member_or_404(user_id)
    active = persian.normalize(request.form.get("active")) == "1"
    if member.id == g.user.id:
        abort(400)
    accounts.set_active(member, active, actor=g.user)
    flash(
        _("The account is active again.") if active else _("The account is disabled and all its sessions have ended.")
    )
    return redirect(url_for("people.show", user_id=member.id))
