"""Only administrators manage members; every other role gets the 403 page."""

import pytest

import models
from hamsayeh.domain import audit
from tests.conftest import PIN, sign_in, submit
from tests.pages import check_page

OTHER_ROLES = [role for role in models.ROLES if role != "admin"]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_are_refused_everywhere(app, people, role):
    client = app.test_client()
    sign_in(client, people[role].phone)
    target = people["resident"].id
    html = check_page(client.get("/admin/people/"), status=403)
    check_page(submit(client, "/", "/admin/people/", {"phone": people["resident"].phone}), status=403)
    assert "دسترسی" in html or "access" in html
    check_page(client.get(f"/admin/people/{target}"), status=403)
    check_page(submit(client, "/", f"/admin/people/{target}/roles", {"role": "admin"}), status=403)
    check_page(submit(client, "/", f"/admin/people/{target}/active", {"active": ""}), status=403)
    assert models.User.get_by_id(target).roles() == {"resident"}
    assert models.User.get_by_id(target).is_active


def test_guests_are_sent_to_sign_in(client, people):
    response = client.get(f"/admin/people/{people['resident'].id}")
    assert response.status_code == 302 and "/account/sign-in" in response.location


def test_admin_finds_a_member_by_any_form_of_the_number_and_it_is_audited(client, people):
    sign_in(client, people["admin"].phone)
    html = check_page(submit(client, "/admin/people/", "/admin/people/", {"phone": "+98 912 000 0002"}))
    assert f'href="/admin/people/{people["volunteer"].id}"' in html
    entry = models.AuditEntry.select().where(models.AuditEntry.action == "people.lookup").get()
    assert entry.actor_id == people["admin"].id
    html = check_page(submit(client, "/admin/people/", "/admin/people/", {"phone": "0935"}), status=422)
    assert 'aria-invalid="true"' in html and 'value="0935"' in html
    html = check_page(submit(client, "/admin/people/", "/admin/people/", {"phone": "09350000000"}), status=422)
    assert "09350000000" in html


def test_admin_sets_roles_and_each_change_is_audited(client, people):
    sign_in(client, people["admin"].phone)
    member = people["resident"]
    check_page(client.get(f"/admin/people/{member.id}"))
    response = submit(client, "/", f"/admin/people/{member.id}/roles", {"role": ["resident", "volunteer", "nonsense"]})
    assert response.status_code == 302
    assert models.User.get_by_id(member.id).roles() == {"resident", "volunteer"}
    actions = [e.action for e in models.AuditEntry.select().where(models.AuditEntry.subject == f"user:{member.id}")]
    assert "role.granted" in actions
    submit(client, "/", f"/admin/people/{member.id}/roles", {"role": []})
    assert models.User.get_by_id(member.id).roles() == {"resident", "volunteer"}
    assert audit.verify_audit_chain() is None


def test_admin_cannot_remove_their_own_admin_role(client, people):
    sign_in(client, people["admin"].phone)
    submit(client, "/", f"/admin/people/{people['admin'].id}/roles", {"role": ["resident"]})
    assert "admin" in models.User.get_by_id(people["admin"].id).roles()


def test_disabling_ends_the_members_sessions(app, people):
    admin, member = app.test_client(), app.test_client()
    sign_in(admin, people["admin"].phone)
    sign_in(member, people["volunteer"].phone)
    submit(admin, "/", f"/admin/people/{people['volunteer'].id}/active", {"active": ""})
    assert member.get("/account/").status_code == 302
    assert (
        submit(
            member, "/account/sign-in", "/account/sign-in", {"phone": people["volunteer"].phone, "pin": PIN}
        ).status_code
        == 422
    )
    submit(admin, "/", f"/admin/people/{people['volunteer'].id}/active", {"active": "1"})
    sign_in(member, people["volunteer"].phone)


def test_unknown_member_is_404(client, people):
    sign_in(client, people["admin"].phone)
    check_page(client.get("/admin/people/99999"), status=404)
