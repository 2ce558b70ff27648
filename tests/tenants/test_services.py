"""The admin center's services re-check permission themselves, whatever the view did."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.template import Context, Template

from audit.models import AuditEvent
from delegation.access import can_reset_password, rights
from tenants import services
from tenants.models import Domain, RoleAssignment, Subscription, User
from tenants.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _calls(actors):
    t = actors.customer
    target = actors.customer_user
    domain = Domain.objects.create(tenant=t, name="spare.contoso.test")
    sub = Subscription.objects.create(tenant=t, plan="Basic", seats=3)
    return [
        lambda u: services.user_add(acting_user=u, tenant=t, email="n@contoso.test"),
        lambda u: services.user_update(
            acting_user=u, tenant=t, user=target, first_name="X", last_name="", job_title=""
        ),
        lambda u: services.user_disable(acting_user=u, tenant=t, user=target),
        lambda u: services.user_password_reset(acting_user=u, tenant=t, user=actors.customer_admin),
        lambda u: services.user_role_assign(
            acting_user=u, tenant=t, user=target, role=Role.GLOBAL_ADMIN
        ),
        lambda u: services.user_role_remove(
            acting_user=u, tenant=t, user=actors.customer_admin, role=Role.GLOBAL_ADMIN
        ),
        lambda u: services.domain_add(acting_user=u, tenant=t, name="new.contoso.test"),
        lambda u: services.domain_verify(acting_user=u, tenant=t, domain=domain),
        lambda u: services.domain_remove(acting_user=u, tenant=t, domain=domain),
        lambda u: services.subscription_change_seats(
            acting_user=u, tenant=t, subscription=sub, seats=9
        ),
        lambda u: services.subscription_cancel(acting_user=u, tenant=t, subscription=sub),
    ]


@pytest.mark.parametrize("index", range(11))
def test_every_write_service_refuses_a_limited_agent(actors, index):
    # given
    call = _calls(actors)[index]
    events = AuditEvent.objects.count()
    # when / then
    with pytest.raises(PermissionDenied):
        call(actors.limited_agent)
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("index", range(11))
def test_every_write_service_refuses_an_agent_of_another_partner(actors, index):
    call = _calls(actors)[index]
    with pytest.raises(PermissionDenied):
        call(actors.other_partner_agent)


def test_a_service_finds_no_user_of_another_tenant(actors):
    # when / then
    with pytest.raises(User.DoesNotExist):
        services.user_role_assign(
            acting_user=actors.customer_admin,
            tenant=actors.customer,
            user=actors.other_tenant_admin,
            role=Role.BILLING_ADMIN,
        )
    assert not RoleAssignment.objects.filter(
        user=actors.other_tenant_admin, role=Role.BILLING_ADMIN
    ).exists()


def test_the_password_rule_for_agents(actors):
    # given
    limited = rights(actors.limited_agent, actors.customer)
    full = rights(actors.full_agent, actors.customer)
    # then
    rule = can_reset_password
    assert rule(limited, actors.customer_user)
    assert rule(limited, actors.password_admin)
    assert not rule(limited, actors.customer_admin)
    assert rule(full, make_user(actors.customer, roles=[Role.USER_ADMIN]))
    # a global admin holds what no agent holds: its account is beyond any agent
    assert not rule(full, actors.customer_admin)
    assert not rule(full, actors.other_tenant_admin)  # not in this tenant


def test_a_full_agent_under_a_limited_relationship_is_limited(actors):
    # given: the customer granted only the password admin role
    from delegation.models import Relationship

    Relationship.objects.filter(pk=actors.relationship.pk).update(roles=[Role.PASSWORD_ADMIN])
    full = rights(actors.full_agent, actors.customer)
    # then
    assert not can_reset_password(full, actors.customer_admin)
    with pytest.raises(PermissionDenied):
        services.user_add(acting_user=actors.full_agent, tenant=actors.customer, email="a@b.c")


def test_temporary_passwords_are_strong_and_distinct():
    passwords = {services.temporary_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in list(passwords)[:20]:
        validate_password(password)
        assert len(password) == 19


def test_has_perm_filter(actors):
    template = Template('{% load portal %}{% if rights|has_perm:"users.manage" %}yes{% endif %}')
    assert template.render(Context({"rights": rights(actors.full_agent, actors.customer)})) == "yes"
    assert template.render(Context({"rights": rights(actors.limited_agent, actors.customer)})) == ""
    typo = Template('{% load portal %}{% if rights|has_perm:"users.mangle" %}yes{% endif %}')
    with pytest.raises(ValueError, match=r"users\.mangle"):
        typo.render(Context({"rights": rights(actors.full_agent, actors.customer)}))
