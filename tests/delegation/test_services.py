"""Setting a staff member's delegated access: who may, what is written, what is recorded."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.actions import Action
from audit.models import AuditEvent
from delegation.models import AgentAccess
from delegation.services import agent_access_set, agent_access_set_by_operator
from tenants.models import User
from tenants.roles import Role
from tenants.services import user_set_enabled
from tests.factories import make_partner, make_partner_user, make_tenant, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return make_partner(name="Fabrikam")


@pytest.fixture
def alex(partner):
    return make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])


@pytest.fixture
def adele(partner):
    return make_partner_user(partner)


def level_of(user):
    return AgentAccess.objects.filter(user=user).values_list("level", flat=True).first()


def access_events():
    return AuditEvent.objects.filter(action=Action.AGENT_ACCESS_CHANGED)


def test_a_partner_admin_gives_a_staff_member_limited_access_and_it_is_audited(
    partner, alex, adele
):
    # when
    access = agent_access_set(partner_admin=alex, staff_user=adele, level="limited")
    # then
    assert access.level == "limited"
    assert level_of(adele) == "limited"
    event = access_events().get()
    assert event.tenant_id == partner.pk
    assert event.actor_id == alex.pk
    assert event.target_id == str(adele.pk)
    assert event.changes == {"level": ["none", "limited"]}
    assert event.relationship_id is None


def test_each_change_is_one_event_with_old_and_new_and_a_repeat_writes_nothing(alex, adele):
    # when
    agent_access_set(partner_admin=alex, staff_user=adele, level="limited")
    agent_access_set(partner_admin=alex, staff_user=adele, level="full")
    agent_access_set(partner_admin=alex, staff_user=adele, level="full")
    agent_access_set(partner_admin=alex, staff_user=adele, level="none")
    # then
    assert [e.changes["level"] for e in access_events().order_by("seq")] == [
        ["none", "limited"],
        ["limited", "full"],
        ["full", "none"],
    ]
    assert level_of(adele) == "none"


def test_no_access_for_someone_who_never_had_any_writes_nothing(alex, adele):
    agent_access_set(partner_admin=alex, staff_user=adele, level="none")
    assert level_of(adele) is None
    assert not access_events().exists()


def test_the_callers_instance_answers_with_the_new_level(partner, alex, adele):
    from delegation.access import agent_level

    assert agent_level(adele) == "none"  # the miss is now cached on the instance
    agent_access_set(partner_admin=alex, staff_user=adele, level="full")
    assert agent_level(adele) == "full"


@pytest.mark.parametrize("actor_kind", ["staff", "other_partner_admin", "customer_admin"])
def test_only_an_admin_of_the_same_partner_may_change_it(partner, adele, actor_kind):
    # given
    actor = {
        "staff": lambda: make_partner_user(partner, level="full"),
        "other_partner_admin": lambda: make_partner_user(make_partner(), roles=[Role.GLOBAL_ADMIN]),
        "customer_admin": lambda: make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN]),
    }[actor_kind]()
    # when / then
    with pytest.raises(PermissionDenied):
        agent_access_set(partner_admin=actor, staff_user=adele, level="full")
    assert level_of(adele) is None
    assert not access_events().exists()


def test_a_disabled_partner_admin_may_not_change_it(alex, adele):
    user_set_enabled(user=alex, enabled=False)
    with pytest.raises(PermissionDenied):
        agent_access_set(partner_admin=User.objects.get(pk=alex.pk), staff_user=adele, level="full")
    assert level_of(adele) is None


def test_a_staff_member_of_another_partner_cannot_be_given_access(alex):
    stranger = make_partner_user(make_partner())
    with pytest.raises(PermissionDenied):
        agent_access_set(partner_admin=alex, staff_user=stranger, level="full")
    assert level_of(stranger) is None


def test_an_unknown_level_is_refused_with_a_message(alex, adele):
    with pytest.raises(ValidationError, match="Choose no access"):
        agent_access_set(partner_admin=alex, staff_user=adele, level="owner")
    assert level_of(adele) is None


def test_a_partner_admin_cannot_raise_its_own_access(alex):
    # when / then
    with pytest.raises(ValidationError, match="cannot raise your own"):
        agent_access_set(partner_admin=alex, staff_user=alex, level="full")
    assert level_of(alex) is None
    assert not access_events().exists()


def test_the_only_admin_raises_its_own_access_once_signed_in_again_and_is_told(partner, alex):
    from tenants.models import OutboundEmail

    # given: a second admin who is disabled does not count
    lee = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    user_set_enabled(user=lee, enabled=False)
    # when: not signed in again (Django admin, say)
    with pytest.raises(ValidationError, match="after signing in again"):
        agent_access_set(partner_admin=alex, staff_user=alex, level="full")
    # when: signed in again
    agent_access_set(partner_admin=alex, staff_user=alex, level="full", reauthenticated=True)
    # then
    assert level_of(alex) == "full"
    assert access_events().get().changes == {"level": ["none", "full"]}
    assert set(OutboundEmail.objects.values_list("to", flat=True)) == {
        partner.contact_email,
        alex.email,
    }
    # and lowering itself is no news
    agent_access_set(partner_admin=alex, staff_user=alex, level="limited", reauthenticated=True)
    assert OutboundEmail.objects.count() == 2


def test_with_another_enabled_admin_even_a_fresh_sign_in_does_not_raise_ones_own(partner, alex):
    make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    with pytest.raises(ValidationError, match="Ask another partner admin"):
        agent_access_set(partner_admin=alex, staff_user=alex, level="full", reauthenticated=True)
    assert level_of(alex) is None


def test_a_partner_admin_may_hold_access_given_by_another_and_lower_its_own(partner, alex):
    # given
    lee = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    # when: another admin gives it Full
    agent_access_set(partner_admin=lee, staff_user=alex, level="full")
    # then it cannot go back up after lowering itself, but may lower itself
    agent_access_set(partner_admin=alex, staff_user=alex, level="limited")
    with pytest.raises(ValidationError):
        agent_access_set(partner_admin=alex, staff_user=alex, level="full")
    assert level_of(alex) == "limited"
    assert [(e.actor_id, e.changes["level"]) for e in access_events().order_by("seq")] == [
        (lee.pk, ["none", "full"]),
        (alex.pk, ["full", "limited"]),
    ]


def test_a_platform_operator_sets_it_and_is_recorded(partner, adele):
    # given
    operator = User.objects.create_superuser("ops@platform.example", "x" * 16)
    # when
    agent_access_set_by_operator(operator=operator, staff_user=adele, level="full")
    # then
    event = access_events().get()
    assert (event.tenant_id, event.actor_id) == (partner.pk, operator.pk)
    assert level_of(adele) == "full"


def test_only_a_superuser_uses_the_operator_path(alex, adele):
    with pytest.raises(PermissionDenied):
        agent_access_set_by_operator(operator=alex, staff_user=adele, level="full")


def test_a_customers_user_cannot_be_given_delegated_access():
    operator = User.objects.create_superuser("ops@platform.example", "x" * 16)
    customer_user = make_user(make_tenant())
    with pytest.raises(ValidationError, match="Only staff of a partner"):
        agent_access_set_by_operator(operator=operator, staff_user=customer_user, level="full")
    assert level_of(customer_user) is None


@pytest.mark.postgres
def test_the_staff_member_is_locked_while_its_level_changes(alex, adele):
    with CaptureQueriesContext(connection) as queries:
        agent_access_set(partner_admin=alex, staff_user=adele, level="limited")
    locking = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert any('FROM "tenants_user"' in sql for sql in locking)
