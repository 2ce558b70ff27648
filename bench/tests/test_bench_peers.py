"""The reference pages: another tool over the same data, reached as the benchmark does."""

import pytest
from django.test import Client

from bench.pages import PAGES, PEERS, Data
from bench.prepare import session_cookie
from tenants.models import TenantKind, User
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    name, value = session_cookie(user).split("=", 1)
    client.cookies[name] = value
    return client


def test_every_peer_is_a_reference_for_a_page_of_the_portal():
    names = {page.name for page in PAGES}
    assert all(peer.peer_of in names and peer.compared_as for peer in PEERS)


def test_django_admin_search_finds_the_tenants_the_lookup_by_name_finds():
    # given: tenants named as seed_scale names them, one with the fragment, one without
    data = Data()
    found = make_tenant(name=f"North{data.name_fragment()} Traders 0001")
    other = make_tenant(name="Southfield Traders 0002")
    peer = next(p for p in PEERS if p.peer_of == "lookup: part of a name")
    # when: the operator the benchmark makes, with a session written as it writes them
    client = signed_in(data.user(peer.session))
    response = client.get(peer.resolve(data)["path"])
    # then
    assert response.status_code == 200
    assert found.name in response.content.decode()
    assert other.name not in response.content.decode()


def test_the_operator_is_made_once_as_createsuperuser_makes_one():
    # when
    first, again = Data().operator, Data().operator
    # then
    assert first == again
    assert first.is_superuser
    assert first.is_staff
    assert first.tenant.kind == TenantKind.OPERATOR
