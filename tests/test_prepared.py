"""A prepared query gives what its queryset gives, in one statement, for any values; a
query whose SQL would depend on the values is refused."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Count
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from delegation.models import Relationship
from partnerportal.prepared import Prepared
from tenants.models import Tenant, User
from tenants.roles import Role
from tests.factories import make_partner, make_relationship, make_tenant, make_user

pytestmark = pytest.mark.django_db


def effective(partner, customer, now):  # type: ignore[no-untyped-def]
    return (
        Relationship.objects.effective(now)
        .filter(partner_id=partner, customer_id=customer)
        .select_related("customer", "partner")
        .order_by("pk")
    )


EFFECTIVE = Prepared(Relationship, effective, partner="partner", customer="customer", now="expires")


def test_it_gives_the_querysets_instances_with_their_related_objects(
    django_assert_num_queries,
):
    # given: two customers of a partner, one of them with an ended relationship too
    partner = make_partner()
    first, second = make_tenant(name="First"), make_tenant(name="Second")
    current = make_relationship(partner, first)
    make_relationship(partner, second, status="terminated")
    later = timezone.now() + timedelta(days=800)
    for customer, now in [(first, timezone.now()), (second, timezone.now()), (first, later)]:
        # when
        with django_assert_num_queries(1):
            prepared = EFFECTIVE.all(partner=partner.pk, customer=customer.pk, now=now)
        # then: the same rows, fields and joined objects as the queryset's
        expected = list(effective(partner.pk, customer.pk, now))
        assert [r.pk for r in prepared] == [r.pk for r in expected]
        for got, want in zip(prepared, expected, strict=True):
            assert got.__dict__.keys() == want.__dict__.keys()
            assert {k: v for k, v in got.__dict__.items() if k != "_state"} == {
                k: v for k, v in want.__dict__.items() if k != "_state"
            }
            assert (got._state.adding, got._state.db) == (False, "default")
            with django_assert_num_queries(0):
                assert (got.customer.name, got.partner.pk) == (customer.name, partner.pk)
    assert [
        r.pk for r in EFFECTIVE.all(partner=partner.pk, customer=first.pk, now=timezone.now())
    ] == [current.pk]
    assert EFFECTIVE.first(partner=partner.pk, customer=first.pk, now=later) is None


def test_it_gives_values_list_rows_and_annotations():
    # given
    tenant = make_tenant()
    make_user(tenant, email="b@example.test")
    make_user(tenant, email="a@example.test")
    emails = Prepared(
        User,
        lambda tenant: (
            User.objects.filter(tenant_id=tenant).order_by("email").values_list("email", flat=True)
        ),
        tenant="tenant",
    )
    pairs = Prepared(
        User,
        lambda tenant: (
            User.objects.filter(tenant_id=tenant)
            .order_by("email")
            .values_list("email", "is_active")
        ),
        tenant="tenant",
    )
    counted = Prepared(
        Tenant,
        lambda name: Tenant.objects.filter(name=name).annotate(n=Count("users")),
        name="name",
    )
    # then
    assert emails.all(tenant=tenant.pk) == ["a@example.test", "b@example.test"]
    assert pairs.all(tenant=tenant.pk) == [("a@example.test", True), ("b@example.test", True)]
    assert [(t.pk, t.n) for t in counted.all(name=tenant.name)] == [(tenant.pk, 2)]
    assert emails.all(tenant=make_tenant().pk) == []


def test_it_gives_named_rows_with_annotations_in_the_order_asked():
    # given
    tenant = make_tenant()
    make_user(tenant, email="b@example.test", roles=[Role.GLOBAL_ADMIN, Role.USER_ADMIN])
    make_user(tenant, email="a@example.test")

    def build(tenant):  # type: ignore[no-untyped-def]
        return (
            User.objects.filter(tenant_id=tenant)
            .annotate(roles=Count("role_assignments"))
            .order_by("email")
            .values_list("roles", "email", named=True)
        )

    # when
    rows = Prepared(User, build, tenant="tenant").all(tenant=tenant.pk)
    # then: what the queryset gives, names and all
    assert rows == list(build(tenant.pk)) == [(0, "a@example.test"), (2, "b@example.test")]
    assert [(row.email, row.roles) for row in rows] == [
        ("a@example.test", 0),
        ("b@example.test", 2),
    ]
    assert type(rows[0])._fields == ("roles", "email")


def test_values_list_rows_with_extra_columns_are_refused():
    def build(name):  # type: ignore[no-untyped-def]
        return (
            Tenant.objects.filter(name=name)
            .extra(select={"one": "1"})
            .values_list("name", "one", named=True)
        )

    with pytest.raises(ValueError, match="values_list rows of fields"):
        Prepared(Tenant, build, name="name").all(name="x")


@pytest.mark.parametrize(
    "build",
    [
        lambda name: Tenant.objects.filter(name__in=[name, f"{name}!"]),  # a pattern of its own
        lambda name: Tenant.objects.filter(name=name).prefetch_related("users"),  # not run
        lambda name: Tenant.objects.filter(name__in=name.split("-")),  # as many as it has parts
        lambda name: Tenant.objects.filter(name="fixed"),  # the value never reaches it
        lambda name: Tenant.objects.filter(name=name).filter(contact_name=name[-4:]),
    ],
)
def test_a_query_whose_sql_or_parameters_depend_on_its_values_is_refused(build):
    with pytest.raises(ValueError, match=r"query|value"):
        Prepared(Tenant, build, name="name").all(name="x")


def test_values_must_all_be_named():
    tenant = make_tenant()
    with pytest.raises(TypeError):
        EFFECTIVE.all(partner=tenant.pk, customer=tenant.pk)


LOCKED = Prepared(
    Tenant,
    lambda name: Tenant.objects.select_for_update().filter(name=name),
    name="name",
)


@pytest.mark.django_db(transaction=True)
def test_locking_runs_only_in_a_transaction():
    tenant = make_tenant(name="Locked")
    with transaction.atomic():
        assert [t.pk for t in LOCKED.all(name="Locked")] == [tenant.pk]
    with pytest.raises(TransactionManagementError):
        LOCKED.all(name="Locked")


def named(name, contact):  # type: ignore[no-untyped-def]
    qs = Tenant.objects.all()
    if name is not None:
        qs = qs.filter(name=name)
    if contact is not None:
        qs = qs.filter(contact_email=contact)
    return qs.order_by("name").values_list("name", flat=True)


NAMED = Prepared(Tenant, named, name="name", contact="contact_email")


def test_a_value_given_as_none_leaves_its_filter_out(django_assert_num_queries):
    # given
    make_tenant(name="Alpha")
    beta = make_tenant(name="Beta")
    # then: every combination gives what the queryset gives, each in one statement
    for name, contact in [
        (None, None),
        ("Beta", None),
        (None, beta.contact_email),
        ("Alpha", beta.contact_email),
        ("Beta", beta.contact_email),
    ]:
        with django_assert_num_queries(1):
            found = NAMED.all(name=name, contact=contact)
        assert found == list(named(name, contact))
    assert NAMED.all(name="Beta", contact=None) == ["Beta"]


def test_a_value_may_reach_the_query_in_a_like_pattern_escaped():
    # given: names with the characters a pattern gives a meaning to
    for name in ["50% off", "a_b", "back\\slash", "Ridge Traders", "PLAIN"]:
        make_tenant(name=name)

    def names(part, start):  # type: ignore[no-untyped-def]
        return (
            Tenant.objects.filter(name__icontains=part, name__startswith=start)
            .order_by("name")
            .values_list("name", flat=True)
        )

    like = Prepared(Tenant, names, part="name", start="name")
    # then: what the queryset finds, no more (a % or _ is itself, not a wildcard)
    for part, start in [("%", "5"), ("_", "a"), ("\\", "b"), ("ridge", "R"), ("", ""), ("_", "x")]:
        assert like.all(part=part, start=start) == list(names(part, start))
    assert like.all(part="%", start="5") == ["50% off"]
    assert like.all(part="_", start="") == ["a_b"]


def test_an_integer_no_column_can_hold_is_left_to_the_orm(django_assert_num_queries):
    # given: sequence numbers compared with values past the column's range
    from audit.actions import Action
    from audit.models import AuditEvent
    from audit.services import audit_record

    tenant = make_tenant()
    for _ in range(3):
        audit_record(tenant=tenant, action=Action.USER_UPDATED)

    def seqs(tenant, before):  # type: ignore[no-untyped-def]
        return (
            AuditEvent.objects.filter(tenant_id=tenant, seq__lt=before)
            .order_by("seq")
            .values_list("seq", flat=True)
        )

    below = Prepared(AuditEvent, seqs, tenant="tenant", before="seq")
    # then: what the queryset gives, however large or small the value
    for before in [2, 10**30, -(10**30), 0]:
        assert below.all(tenant=tenant.pk, before=before) == list(seqs(tenant.pk, before))
    assert below.all(tenant=tenant.pk, before=10**30) == [1, 2, 3]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_query_prepared_in_one_thread_runs_in_others_on_their_own_connections():
    import threading

    from django.db import connection

    # given: prepared here
    partner, customer = make_partner(), make_tenant()
    relationship = make_relationship(partner, customer)
    values = {"partner": partner.pk, "customer": customer.pk, "now": timezone.now()}
    assert [r.pk for r in EFFECTIVE.all(**values)] == [relationship.pk]
    found: dict[int, tuple[object, object]] = {}

    def run(n: int) -> None:
        try:
            (got,) = EFFECTIVE.all(**values)
            found[n] = (got.customer.name, connection.connection)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # then: each thread read it, on a connection of its own
    assert sorted(found) == [0, 1, 2]
    assert {name for name, _ in found.values()} == {customer.name}
    assert len({id(conn) for _, conn in found.values()}) == 3
