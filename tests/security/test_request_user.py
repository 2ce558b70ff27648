"""The signed-in user of a request: loaded with all it needs in one query, never stale
where it matters."""

import uuid
from typing import cast

import pytest
from django.core.exceptions import PermissionDenied
from django.utils.functional import SimpleLazyObject

from delegation.access import agent_level
from partnerportal.auth import AuthenticationBackend, ModelBackend, load_for_request
from tenants.models import RoleAssignment, User
from tenants.roles import Role
from tenants.security import has_mfa
from tenants.services import forget_roles, user_role_remove, user_roles
from tests.factories import make_partner, make_partner_user, make_tenant, make_user

pytestmark = pytest.mark.django_db


def test_one_query_loads_the_user_its_tenant_roles_second_factor_and_level(
    django_assert_num_queries,
):
    # given: a partner agent with two roles and TOTP
    agent = make_partner_user(
        make_partner(), level="full", roles=[Role.GLOBAL_ADMIN, Role.PASSWORD_ADMIN]
    )
    # when
    with django_assert_num_queries(1):
        user = load_for_request(agent.pk)
        assert user is not None
        # then: everything a request asks of it, without another query
        assert user.tenant.is_partner
        assert user_roles(user) == {Role.GLOBAL_ADMIN, Role.PASSWORD_ADMIN}
        assert has_mfa(user)
        assert agent_level(user) == "full"


def test_a_user_without_roles_second_factor_or_access_level_loads_as_such(
    django_assert_num_queries,
):
    customer_user = make_user(make_tenant())
    with django_assert_num_queries(1):
        user = load_for_request(customer_user.pk)
        assert user is not None
        assert user_roles(user) == frozenset()
        assert not has_mfa(user)
        assert agent_level(user) == "none"


@pytest.mark.parametrize("backend", [ModelBackend, AuthenticationBackend])
def test_an_unknown_malformed_or_disabled_user_is_nobody(backend):
    disabled = make_user(make_tenant())
    disabled.is_active = False
    disabled.save()
    assert backend().get_user(uuid.uuid4()) is None
    assert backend().get_user("not-a-uuid") is None
    assert backend().get_user(disabled.pk) is None


def test_roles_are_forgotten_through_the_proxy_a_request_holds():
    # given: the request's user (a lazy proxy) with its roles read
    tenant = make_tenant()
    user = make_user(tenant, roles=[Role.GLOBAL_ADMIN])
    proxy = cast(User, SimpleLazyObject(lambda: user))
    assert user_roles(proxy) == {Role.GLOBAL_ADMIN}
    RoleAssignment.objects.filter(user=user).delete()
    # when
    forget_roles(proxy)
    # then
    assert user_roles(proxy) == frozenset()


def test_an_admin_whose_role_went_while_its_request_ran_is_refused():
    # given: Bob's request began while he was a global admin; Ann then took his role
    tenant = make_tenant()
    make_user(tenant, roles=[Role.GLOBAL_ADMIN])
    bob = make_user(tenant, roles=[Role.GLOBAL_ADMIN])
    cid = make_user(tenant, roles=[Role.GLOBAL_ADMIN])
    bobs_request_user = cast(User, SimpleLazyObject(lambda: load_for_request(bob.pk)))
    assert Role.GLOBAL_ADMIN in user_roles(bobs_request_user)
    RoleAssignment.objects.filter(user=bob).delete()
    # when / then: the roles read under the tenant's lock count, not those of the start
    with pytest.raises(PermissionDenied):
        user_role_remove(
            acting_user=bobs_request_user, tenant=tenant, user=cid, role=Role.GLOBAL_ADMIN
        )
    assert RoleAssignment.objects.filter(user=cid, role=Role.GLOBAL_ADMIN).exists()
