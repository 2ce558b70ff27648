"""Nobody grants what it could not do itself: creating a user with a role, assigning a
role and removing one, by every kind of actor, in the services and through the pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from delegation.access import grantable_roles, rights
from tenants import services
from tenants.models import OutboundEmail, RoleAssignment, User
from tenants.roles import Role
from tests.factories import make_user, sign_in
from tests.tenants.conftest import Actors

pytestmark = pytest.mark.django_db

EVERY_ROLE = set(Role)
BELOW_GLOBAL_ADMIN = EVERY_ROLE - {Role.GLOBAL_ADMIN}

# Who may grant which role in the customer: a global admin at home everything; a Full
# agent (through a relationship granting Global administrator) every role but that one,
# whose partner and security settings no agent holds; anyone without ASSIGN_ROLES nothing.
GRANTABLE = {
    "customer_admin": EVERY_ROLE,
    "full_agent": BELOW_GLOBAL_ADMIN,
    "limited_agent": set(),
    "user_admin": set(),
    "password_admin": set(),
}


def _actor(actors: Actors, name: str) -> User:
    if name == "user_admin":
        return make_user(actors.customer, email="ua@contoso.test", roles=[Role.USER_ADMIN])
    return getattr(actors, name)


@pytest.mark.parametrize("name", sorted(GRANTABLE))
def test_grantable_roles_are_those_within_the_actors_own_permissions(actors, name):
    # given
    r = rights(_actor(actors, name), actors.customer)
    # then
    assert set(grantable_roles(r)) == GRANTABLE[name]
    assert {role for role in Role if r.may_grant(role)} == GRANTABLE[name]


MATRIX = [(name, role) for name in sorted(GRANTABLE) for role in Role]


@pytest.mark.parametrize(("name", "role"), MATRIX)
def test_assigning_a_role_follows_the_rule(actors, name, role):
    # given
    actor = _actor(actors, name)
    target = actors.customer_user
    allowed = role in GRANTABLE[name]
    # when
    if allowed:
        assert services.user_role_assign(
            acting_user=actor, tenant=actors.customer, user=target, role=role
        )
    else:
        with pytest.raises((ValidationError, PermissionDenied)):
            services.user_role_assign(
                acting_user=actor, tenant=actors.customer, user=target, role=role
            )
    # then
    assert target.role_assignments.filter(role=role).exists() is allowed
    assert AuditEvent.objects.filter(action=Action.ROLE_ASSIGNED).exists() is allowed


@pytest.mark.parametrize(("name", "role"), MATRIX)
def test_creating_a_user_with_a_role_follows_the_rule(actors, name, role):
    # given: creating users at all needs MANAGE_USERS, which a user admin holds too
    actor = _actor(actors, name)
    email = "new@contoso.test"
    allowed = role in GRANTABLE[name]
    # when
    if allowed:
        user, _ = services.user_add(
            acting_user=actor, tenant=actors.customer, email=email, roles=[role]
        )
        # then
        assert set(user.role_assignments.values_list("role", flat=True)) == {role}
    else:
        with pytest.raises((ValidationError, PermissionDenied)):
            services.user_add(acting_user=actor, tenant=actors.customer, email=email, roles=[role])
        # then: nothing written
        assert not User.objects.filter(email=email).exists()
        assert not AuditEvent.objects.filter(action=Action.USER_CREATED).exists()


def test_a_user_admin_still_creates_a_user_without_a_role(actors):
    # given
    actor = _actor(actors, "user_admin")
    # when
    user, _ = services.user_add(acting_user=actor, tenant=actors.customer, email="n@contoso.test")
    # then
    assert not user.role_assignments.exists()


def test_an_agent_cannot_demote_a_global_admin_it_could_not_make(actors):
    # given: two global admins, so the last-admin rule is not what stops it
    second = make_user(actors.customer, roles=[Role.GLOBAL_ADMIN])
    # when
    with pytest.raises(ValidationError) as refused:
        services.user_role_remove(
            acting_user=actors.full_agent,
            tenant=actors.customer,
            user=second,
            role=Role.GLOBAL_ADMIN,
        )
    # then
    assert refused.value.code == "not_grantable"
    assert second.role_assignments.filter(role=Role.GLOBAL_ADMIN).exists()
    assert not AuditEvent.objects.filter(action=Action.ROLE_REMOVED).exists()


def test_an_agent_removes_a_role_it_could_grant(actors):
    # given
    make_user(actors.customer, roles=[Role.GLOBAL_ADMIN])
    target = make_user(actors.customer, roles=[Role.BILLING_ADMIN])
    # when
    removed = services.user_role_remove(
        acting_user=actors.full_agent, tenant=actors.customer, user=target, role=Role.BILLING_ADMIN
    )
    # then
    assert removed
    assert not target.role_assignments.exists()


@pytest.mark.parametrize("agent", ["full_agent", "limited_agent"])
def test_no_agent_edits_disables_or_resets_a_global_admin(actors, agent):
    # given
    actor = getattr(actors, agent)
    admin = actors.customer_admin
    second = make_user(actors.customer, roles=[Role.GLOBAL_ADMIN])
    t = actors.customer
    calls = [
        lambda: services.user_update(
            acting_user=actor, tenant=t, user=admin, first_name="X", last_name="", job_title=""
        ),
        lambda: services.user_disable(acting_user=actor, tenant=t, user=admin),
        lambda: services.user_password_reset(acting_user=actor, tenant=t, user=second),
    ]
    # when / then
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    admin.refresh_from_db()
    second.refresh_from_db()
    assert admin.is_active
    assert admin.first_name != "X"
    assert not second.must_change_password


def test_a_full_agent_still_manages_a_user_admin(actors):
    # given
    target = make_user(actors.customer, roles=[Role.USER_ADMIN])
    # when
    services.user_disable(acting_user=actors.full_agent, tenant=actors.customer, user=target)
    # then
    target.refresh_from_db()
    assert not target.is_active


# --- the pages --------------------------------------------------------------------------


def _roles_post(client, actors: Actors, target: User, role: Role, operation: str):
    url = reverse("tenants:user-roles", args=[actors.customer.pk, target.pk])
    return client.post(url, {"role": role, "operation": operation}, follow=True)


def test_the_user_page_offers_an_agent_only_the_roles_it_may_grant(client, actors):
    # given: a target who already holds the global admin role and one other
    target = make_user(actors.customer, roles=[Role.GLOBAL_ADMIN, Role.BILLING_ADMIN])
    sign_in(client, actors.full_agent)
    # when
    response = client.get(reverse("tenants:user-detail", args=[actors.customer.pk, target.pk]))
    plain = client.get(
        reverse("tenants:user-detail", args=[actors.customer.pk, actors.customer_user.pk])
    )
    # then: no Remove for the global admin role, no option to assign it
    assert response.context["removable_roles"] == {Role.BILLING_ADMIN}
    assert Role.GLOBAL_ADMIN not in plain.context["other_roles"]
    assert 'value="global_admin"' not in plain.content.decode()
    assert 'value="user_admin"' in plain.content.decode()


def test_the_add_user_form_offers_only_grantable_roles(client, actors):
    # given
    sign_in(client, actors.full_agent)
    url = reverse("tenants:user-create", args=[actors.customer.pk])
    # when
    page = client.get(url).content.decode()
    # then
    assert 'value="user_admin"' in page
    assert 'value="global_admin"' not in page


def test_a_forged_post_of_global_admin_is_refused_with_its_reason(client, actors):
    # given
    sign_in(client, actors.full_agent)
    # when
    response = _roles_post(client, actors, actors.customer_user, Role.GLOBAL_ADMIN, "assign")
    # then
    assert response.status_code == 200
    assert "You cannot grant or remove the role Global administrator" in response.content.decode()
    assert not actors.customer_user.role_assignments.exists()
    assert not AuditEvent.objects.filter(action=Action.ROLE_ASSIGNED).exists()
    assert not OutboundEmail.objects.exists()


def test_a_forged_add_user_with_global_admin_is_refused_with_its_reason(client, actors):
    # given
    sign_in(client, actors.full_agent)
    url = reverse("tenants:user-create", args=[actors.customer.pk])
    # when
    response = client.post(url, {"email": "evil@contoso.test", "roles": ["global_admin"]})
    # then
    assert response.status_code == 200
    assert "You cannot grant or remove the role Global administrator" in response.content.decode()
    assert not User.objects.filter(email="evil@contoso.test").exists()
    assert (
        not RoleAssignment.objects.filter(user__tenant=actors.customer)
        .exclude(user__in=[actors.customer_admin, actors.password_admin])
        .exists()
    )


def test_a_customers_global_admin_creates_a_global_admin_through_the_page(client, actors):
    # given
    sign_in(client, actors.customer_admin)
    url = reverse("tenants:user-create", args=[actors.customer.pk])
    # when
    response = client.post(
        url, {"email": "deputy@contoso.test", "roles": ["global_admin"]}, follow=True
    )
    # then
    assert response.status_code == 200
    deputy = User.objects.get(email="deputy@contoso.test")
    assert list(deputy.role_assignments.values_list("role", flat=True)) == [Role.GLOBAL_ADMIN]
    assert not OutboundEmail.objects.exists()  # the customer's own act: nobody to warn


# --- the customer hears of an agent's grants -----------------------------------------------


def _grant_mail() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind="admin_role_granted").order_by("to"))


def test_the_customers_global_admins_are_mailed_when_an_agent_assigns_a_role(actors):
    # given: a second global admin, and a disabled one who hears nothing
    second = make_user(actors.customer, email="diego@contoso.test", roles=[Role.GLOBAL_ADMIN])
    gone = make_user(actors.customer, email="gone@contoso.test", roles=[Role.GLOBAL_ADMIN])
    User.objects.filter(pk=gone.pk).update(is_active=False)
    agent = actors.full_agent
    User.objects.filter(pk=agent.pk).update(first_name="Lee", last_name="Gu")
    agent.refresh_from_db()
    # when
    services.user_role_assign(
        acting_user=agent,
        tenant=actors.customer,
        user=actors.customer_user,
        role=Role.PASSWORD_ADMIN,
    )
    # then
    mails = _grant_mail()
    assert [m.to for m in mails] == [second.email, actors.customer_admin.email]
    mail = mails[0]
    assert "Fabrikam" in mail.subject
    assert actors.customer_user.email in mail.subject
    assert "Lee Gu (lee@fabrikam.test) of Fabrikam" in mail.body_text
    assert "Password administrator" in mail.body_text
    assert str(actors.customer_user.pk) in mail.body_text


def test_the_customers_global_admins_are_mailed_when_an_agent_creates_an_admin(actors):
    # when
    services.user_add(
        acting_user=actors.full_agent,
        tenant=actors.customer,
        email="helper@contoso.test",
        roles=[Role.USER_ADMIN, Role.BILLING_ADMIN],
    )
    # then
    (mail,) = _grant_mail()
    assert mail.to == actors.customer_admin.email
    assert "created the user helper@contoso.test" in mail.body_text
    assert "User administrator, Billing administrator" in mail.body_text


@pytest.mark.parametrize("by", ["customer_admin", "full_agent_without_a_role"])
def test_no_mail_for_the_customers_own_grants_or_a_user_without_a_role(actors, by):
    # when
    if by == "customer_admin":
        services.user_role_assign(
            acting_user=actors.customer_admin,
            tenant=actors.customer,
            user=actors.customer_user,
            role=Role.USER_ADMIN,
        )
    else:
        services.user_add(
            acting_user=actors.full_agent, tenant=actors.customer, email="n@contoso.test"
        )
    # then
    assert not _grant_mail()
