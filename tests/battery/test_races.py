"""Races on PostgreSQL with real threads, each with its own connection.

Role changes, disabling admins, terminations from both sides, renewals, terminate
against renew, delegated access changes and organisations verifying one domain, each
raced ``ROUNDS`` times on a fresh world: the invariants hold every round. (Acceptances
of one offer race in ``tests/offers/test_races.py``; audit writers in
``tests/audit/test_concurrency.py``.)
Each round counts as one race in ``battery.races``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from audit.verify import verify_chains
from delegation.models import AgentAccess, Relationship, RelationshipStatus
from delegation.relationships import (
    global_admin_emails,
    partner_recipients,
    relationship_renew,
    relationship_terminate,
)
from delegation.services import agent_access_set
from tenants.models import Domain, OutboundEmail, RoleAssignment, Tenant, User
from tenants.roles import Role
from tenants.services import domain_verify, user_disable, user_role_assign, user_role_remove
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_tenant,
    make_user,
)
from tests.racing import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 5
THREADS = 6


def enabled_global_admins(tenant: Tenant) -> int:
    return (
        User.objects.filter(tenant=tenant, is_active=True, role_assignments__role=Role.GLOBAL_ADMIN)
        .distinct()
        .count()
    )


def chains_intact() -> bool:
    return all(report.intact for report in verify_chains())


@pytest.fixture
def rounds(record_property: Any) -> Callable[[], Iterator[int]]:
    """Iterate over the rounds, counting each as one race run."""

    def counted() -> Iterator[int]:
        for n in range(ROUNDS):
            yield n
            record_property("battery.races", 1)

    return counted


def test_many_admins_assigning_and_removing_one_users_role_leave_a_consistent_history(rounds):
    for _ in rounds():
        role_changes_round()


def role_changes_round() -> None:
    # given: admins of a customer, and a user holding the global admin role
    customer = make_tenant()
    admins = [make_user(customer, roles=[Role.GLOBAL_ADMIN]) for _ in range(THREADS)]
    target = make_user(customer, roles=[Role.GLOBAL_ADMIN])

    def change(admin: User, assign: bool) -> Callable[[], object]:
        service = user_role_assign if assign else user_role_remove
        return lambda: service(
            acting_user=admin, tenant=customer, user=target, role=Role.GLOBAL_ADMIN
        )

    # when: half assign it, half remove it, at once
    results = race([change(a, bool(i % 2)) for i, a in enumerate(admins)])
    # then: each call either changed the role or found it as asked, and the log tells the
    # same story: removals and assignments alternate, ending in the final state
    assert set(results) <= {True, False}, results
    events = AuditEvent.objects.filter(
        tenant=customer,
        target_id=str(target.pk),
        action__in=[Action.ROLE_ASSIGNED, Action.ROLE_REMOVED],
    ).order_by("seq")
    assert events.count() == results.count(True)
    held = True
    for event in events:
        assert event.action == (Action.ROLE_REMOVED if held else Action.ROLE_ASSIGNED)
        held = not held
    holds = RoleAssignment.objects.filter(user=target, role=Role.GLOBAL_ADMIN).count()
    assert holds == (1 if held else 0)
    assert enabled_global_admins(customer) >= 1
    assert chains_intact()


def test_two_last_admins_removing_each_others_role_leave_one(rounds):
    for _ in rounds():
        # given: a customer whose only global admins are Ann and Bob
        customer = make_tenant()
        ann = make_user(customer, roles=[Role.GLOBAL_ADMIN])
        bob = make_user(customer, roles=[Role.GLOBAL_ADMIN])
        # when
        results = race([remove_admin(customer, ann, bob), remove_admin(customer, bob, ann)])
        # then: one removal; the other is refused (last admin, or no longer an admin)
        assert results.count(True) == 1, results
        assert len([r for r in results if r in {"ValidationError", "PermissionDenied"}]) == 1
        assert enabled_global_admins(customer) == 1
        assert AuditEvent.objects.filter(tenant=customer, action=Action.ROLE_REMOVED).count() == 1


def test_an_admin_who_lost_its_role_meanwhile_does_not_act(rounds):
    for _ in rounds():
        # given: three global admins; Ann takes Bob's role while Bob takes Cid's
        customer = make_tenant()
        ann, bob, cid = (make_user(customer, roles=[Role.GLOBAL_ADMIN]) for _ in range(3))
        # when
        results = race([remove_admin(customer, ann, bob), remove_admin(customer, bob, cid)])
        # then: Ann always succeeds; Bob only if he acted before he lost the role
        assert results[0] is True, results
        events = list(
            AuditEvent.objects.filter(tenant=customer, action=Action.ROLE_REMOVED).order_by("seq")
        )
        targets = [e.target_id for e in events]
        bob_lost_at = targets.index(str(bob.pk))
        for index, event in enumerate(events):
            if event.actor_id == bob.pk:
                assert index < bob_lost_at, "Bob acted after his role was taken"
        assert (results[1] is True) == (len(events) == 2)
        assert chains_intact()


def remove_admin(tenant: Tenant, actor: User, target: User) -> Callable[[], object]:
    return lambda: user_role_remove(
        acting_user=actor, tenant=tenant, user=target, role=Role.GLOBAL_ADMIN
    )


def disable(tenant: Tenant, actor: User, target: User) -> Callable[[], object]:
    return lambda: user_disable(acting_user=actor, tenant=tenant, user=target)


def test_two_last_admins_disabling_each_other_leave_one_enabled(rounds):
    for _ in rounds():
        # given
        customer = make_tenant()
        ann = make_user(customer, roles=[Role.GLOBAL_ADMIN])
        bob = make_user(customer, roles=[Role.GLOBAL_ADMIN])
        # when
        results = race([disable(customer, ann, bob), disable(customer, bob, ann)])
        # then
        assert results.count(True) == 1, results
        assert enabled_global_admins(customer) == 1
        assert User.objects.filter(tenant=customer, is_active=False).count() == 1
        assert AuditEvent.objects.filter(tenant=customer, action=Action.USER_DISABLED).count() == 1


def relationship_world(*, days_left: int | None = None) -> tuple[Relationship, User, User]:
    """A partner and a customer (two global admins each side) and their relationship."""
    OutboundEmail.objects.all().delete()  # each round counts its own mail
    partner = make_partner()
    partner.contact_email = f"partners@{partner.domains.get().name}"
    partner.save()
    customer = make_tenant()
    cadmin = make_user(customer, roles=[Role.GLOBAL_ADMIN])
    make_user(customer, roles=[Role.GLOBAL_ADMIN])
    padmin = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    rel = make_relationship(partner, customer, accepted_by=cadmin)
    if days_left is not None:
        now = timezone.now()
        Relationship.objects.filter(pk=rel.pk).update(
            starts=now - timedelta(days=730 - days_left), expires=now + timedelta(days=days_left)
        )
    return rel, cadmin, padmin


def terminate(rel: Relationship, actor: User) -> Callable[[], object]:
    return lambda: relationship_terminate(relationship=rel, acting_user=actor, reason="Ended.")


def renew(rel: Relationship, actor: User) -> Callable[[], object]:
    return lambda: relationship_renew(relationship=rel, acting_user=actor)


TERMINATIONS = [Action.RELATIONSHIP_TERMINATED, Action.RELATIONSHIP_ENDED_BY_PARTNER]


def test_a_relationship_ended_from_both_sides_at_once_ends_once(rounds):
    for _ in rounds():
        # given
        rel, cadmin, padmin = relationship_world()
        # when: the customer removes it while the partner ends it
        results = race([terminate(rel, cadmin), terminate(rel, padmin)])
        # then: one termination, one audit event, one mail per recipient of the winner
        assert len([r for r in results if isinstance(r, Relationship)]) == 1, results
        assert results.count("ValidationError") == 1, results
        final = Relationship.objects.get(pk=rel.pk)
        assert final.status == RelationshipStatus.TERMINATED
        events = AuditEvent.objects.filter(tenant=rel.customer, action__in=TERMINATIONS)
        assert events.count() == 1
        by_partner = final.terminated_by_id == padmin.pk
        assert events.get().action == TERMINATIONS[by_partner]
        expected = set(partner_recipients(rel.partner))
        if by_partner:
            expected |= set(global_admin_emails(rel.customer))
        sent = list(OutboundEmail.objects.filter(kind="terminated").values_list("to", flat=True))
        assert sorted(sent) == sorted(expected)


def test_admins_renewing_at_once_renew_once(rounds):
    for _ in rounds():
        # given: a relationship ten days from its end, and several of the customer's admins
        rel, cadmin, _padmin = relationship_world(days_left=10)
        admins = [cadmin] + [
            make_user(rel.customer, roles=[Role.GLOBAL_ADMIN]) for _ in range(THREADS - 1)
        ]
        # when
        results = race([renew(rel, a) for a in admins])
        # then: every admin sees it renewed; renewed once, audited once, mailed once
        assert all(isinstance(r, Relationship) for r in results), results
        final = Relationship.objects.get(pk=rel.pk)
        assert {r.expires for r in results if isinstance(r, Relationship)} == {final.expires}
        assert final.expires > timezone.now() + timedelta(days=729)
        renewals = AuditEvent.objects.filter(
            tenant=rel.customer, action=Action.RELATIONSHIP_RENEWED
        )
        assert renewals.count() == 1
        sent = Counter(OutboundEmail.objects.filter(kind="renewed").values_list("to", flat=True))
        assert set(sent) == set(partner_recipients(rel.partner))
        assert set(sent.values()) == {1}


def test_terminate_racing_renew_ends_terminated_and_the_log_agrees(rounds):
    for _ in rounds():
        # given
        rel, cadmin, padmin = relationship_world(days_left=10)
        # when: the customer renews while the partner ends it
        results = race([renew(rel, cadmin), terminate(rel, padmin)])
        # then: ended, whichever came first; a renewal, if any, is logged before the end
        assert isinstance(results[1], Relationship), results
        renewed = isinstance(results[0], Relationship)
        assert renewed or results[0] == "ValidationError", results
        final = Relationship.objects.get(pk=rel.pk)
        assert final.status == RelationshipStatus.TERMINATED
        actions = list(
            AuditEvent.objects.filter(
                tenant=rel.customer, action__in=[Action.RELATIONSHIP_RENEWED, *TERMINATIONS]
            )
            .order_by("seq")
            .values_list("action", flat=True)
        )
        expected = [Action.RELATIONSHIP_RENEWED] if renewed else []
        assert actions == [*expected, Action.RELATIONSHIP_ENDED_BY_PARTNER]
        assert OutboundEmail.objects.filter(kind="renewed").exists() == renewed


def set_level(admin: User, staff: User, level: str) -> Callable[[], object]:
    return lambda: agent_access_set(partner_admin=admin, staff_user=staff, level=level)


def test_partner_admins_changing_one_agents_access_at_once_leave_a_true_history(rounds):
    levels = ["full", "limited", "none", "full", "limited", "none"]
    for n in rounds():
        # given: partner admins, and a staff member with Limited access
        partner = make_partner()
        admins = [make_partner_user(partner, roles=[Role.GLOBAL_ADMIN]) for _ in range(THREADS)]
        staff = make_partner_user(partner, level="limited")
        asked = levels[n:] + levels[:n]
        # when
        results = race([set_level(a, staff, lv) for a, lv in zip(admins, asked, strict=True)])
        # then: the final level is one asked for, and the log chains from the first level
        # to the final one, one event per actual change
        assert all(isinstance(r, AgentAccess) for r in results), results
        stored = AgentAccess.objects.filter(user=staff).values_list("level", flat=True).first()
        final = stored or "none"
        assert final in asked
        changes = [
            e.changes["level"]
            for e in AuditEvent.objects.filter(
                tenant=partner, action=Action.AGENT_ACCESS_CHANGED, target_id=str(staff.pk)
            ).order_by("seq")
        ]
        level = "limited"
        for old, new in changes:
            assert old == level, changes
            assert new != old, changes
            level = new
        assert level == final
        assert len(changes) <= THREADS
        assert chains_intact()


def verify(admin: User, domain: Domain) -> Callable[[], object]:
    return lambda: domain_verify(acting_user=admin, tenant=domain.tenant, domain=domain)


def test_organisations_verifying_one_name_at_once_leave_one_holder(rounds, dns):
    for n in rounds():
        # given: several organisations claim the name, each with its record published
        name = f"contested{n}.example"
        claims = []
        for i in range(THREADS):
            tenant = make_tenant(name=f"Claimant {n}.{i}")
            admin = make_user(tenant, roles=[Role.GLOBAL_ADMIN])
            claims.append((admin, Domain.objects.create(tenant=tenant, name=name)))
        dns.txt(name, *(domain.txt_record for _, domain in claims))
        # when: all verify at once
        results = race([verify(admin, domain) for admin, domain in claims])
        # then: one wins, every other claim is gone, each loser told once, logs intact
        assert results.count(True) == 1, results
        assert results.count("ValidationError") == THREADS - 1, results
        assert list(Domain.objects.filter(name=name).values_list("verified", flat=True)) == [True]
        assert AuditEvent.objects.filter(action=Action.DOMAIN_LOST, target_repr=name).count() == (
            THREADS - 1
        )
        assert OutboundEmail.objects.filter(kind="lost", subject__contains=name).count() == (
            THREADS - 1
        )
        assert chains_intact()
