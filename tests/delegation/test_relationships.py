"""Removal, renewal, expiry and reminders of relationships (the services)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from delegation.access import rights
from delegation.models import Relationship, RelationshipStatus
from delegation.relationships import (
    relationship_reminders_send,
    relationship_renew,
    relationship_terminate,
    relationships_expire_due,
    reminder_threshold,
)
from delegation.tasks import relationship_reminders, relationships_expire
from tenants.models import OutboundEmail
from tenants.roles import Permission, Role
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_tenant,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Fabrikam (partner) administers Contoso (customer)."""
    fabrikam = make_partner(name="Fabrikam Partners", domain="fabrikam.example")
    contoso = make_tenant(name="Contoso", domain="contoso.example")
    megan = make_user(contoso, email="megan@contoso.example", roles=[Role.GLOBAL_ADMIN])
    patti = make_user(contoso, email="patti@contoso.example", roles=[Role.PASSWORD_ADMIN])
    alex = make_partner_user(fabrikam, email="alex@fabrikam.example", roles=[Role.GLOBAL_ADMIN])
    lee = make_partner_user(fabrikam, email="lee@fabrikam.example", level="full")
    adele = make_partner_user(fabrikam, email="adele@fabrikam.example", level="limited")
    rel = make_relationship(fabrikam, contoso, accepted_by=megan, days=730)
    return locals()


def test_customer_removal_ends_every_agents_access_at_once(
    world, django_capture_on_commit_callbacks
):
    # given
    w = world
    assert rights(w["lee"], w["contoso"]).has(Permission.MANAGE_USERS)
    assert rights(w["adele"], w["contoso"]).has(Permission.RESET_PASSWORDS)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        relationship_terminate(
            relationship=w["rel"], acting_user=w["megan"], reason="We changed provider."
        )
    # then
    rel = Relationship.objects.get(pk=w["rel"].pk)
    assert rel.status == RelationshipStatus.TERMINATED
    assert rel.terminated_by == w["megan"]
    assert rel.termination_reason == "We changed provider."
    assert rel.terminated_at is not None
    assert not rights(w["lee"], w["contoso"])
    assert not rights(w["adele"], w["contoso"])
    event = AuditEvent.objects.get(action=Action.RELATIONSHIP_TERMINATED)
    assert event.tenant_id == w["contoso"].pk
    assert event.actor_id == w["megan"].pk
    assert event.target_id == str(rel.pk)
    assert event.changes == {
        "status": ["active", "terminated"],
        "reason": [None, "We changed provider."],
    }
    sent_to = set(OutboundEmail.objects.values_list("to", flat=True))
    # the partner's admins and its contact address, not the customer
    assert sent_to == {"alex@fabrikam.example", w["fabrikam"].contact_email}
    assert "We changed provider." in OutboundEmail.objects.get(to="alex@fabrikam.example").body_text


def test_partner_admin_ends_the_relationship_from_its_side(world):
    w = world
    relationship_terminate(relationship=w["rel"], acting_user=w["alex"], reason="Contract over.")
    assert not rights(w["lee"], w["contoso"])
    event = AuditEvent.objects.get()
    assert event.action == Action.RELATIONSHIP_ENDED_BY_PARTNER
    # in the customer's chain, and on the partner's activity (its staff acted)
    assert event.tenant_id == w["contoso"].pk
    assert event.actor_tenant_id == w["fabrikam"].pk
    assert event.relationship_id == w["rel"].pk
    sent_to = set(OutboundEmail.objects.values_list("to", flat=True))
    assert "megan@contoso.example" in sent_to
    assert "alex@fabrikam.example" in sent_to
    assert "patti@contoso.example" not in sent_to


@pytest.mark.parametrize("who", ["lee", "adele", "patti"])
def test_no_one_else_can_end_a_relationship(world, who):
    with pytest.raises(PermissionDenied):
        relationship_terminate(relationship=world["rel"], acting_user=world[who], reason="x")
    assert Relationship.objects.get(pk=world["rel"].pk).status == RelationshipStatus.ACTIVE
    assert not AuditEvent.objects.exists()


def test_another_partners_admin_cannot_end_it(world):
    other_admin = make_partner_user(make_partner(), roles=[Role.GLOBAL_ADMIN])
    with pytest.raises(PermissionDenied):
        relationship_terminate(relationship=world["rel"], acting_user=other_admin, reason="x")


def test_a_reason_is_required(world):
    with pytest.raises(ValidationError, match="Give a reason"):
        relationship_terminate(relationship=world["rel"], acting_user=world["megan"], reason="  ")
    assert Relationship.objects.get(pk=world["rel"].pk).status == RelationshipStatus.ACTIVE


def test_removing_twice_is_refused_clearly_and_writes_once(world):
    w = world
    relationship_terminate(relationship=w["rel"], acting_user=w["megan"], reason="Done.")
    with pytest.raises(ValidationError, match="already been removed"):
        relationship_terminate(relationship=w["rel"], acting_user=w["megan"], reason="Again.")
    assert AuditEvent.objects.count() == 1
    assert Relationship.objects.get(pk=w["rel"].pk).termination_reason == "Done."


def test_renewal_gives_the_same_roles_for_the_same_duration_from_now(
    world, django_capture_on_commit_callbacks
):
    # given a relationship with 10 days left
    w = world
    rel = make_relationship(
        make_partner(name="Litware"),
        w["contoso"],
        roles=[Role.USER_ADMIN],
        days=90,
        starts=timezone.now() - timedelta(days=80),
    )
    old_expires = rel.expires
    # when
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        renewed = relationship_renew(relationship=rel, acting_user=w["megan"])
    # then
    rel.refresh_from_db()
    assert rel.roles == [Role.USER_ADMIN]
    assert rel.duration_days == 90
    assert before + timedelta(days=90) <= rel.expires <= timezone.now() + timedelta(days=90)
    assert renewed.expires == rel.expires
    event = AuditEvent.objects.get(action=Action.RELATIONSHIP_RENEWED)
    assert event.tenant_id == w["contoso"].pk
    assert event.changes["expires"] == [old_expires.isoformat(), rel.expires.isoformat()]
    message = OutboundEmail.objects.get()
    assert message.to == rel.partner.contact_email
    assert "renewed" in message.subject


def test_renewing_again_at_once_is_a_repeat_that_changes_nothing(
    world, django_capture_on_commit_callbacks
):
    # given a relationship renewed a moment ago
    w = world
    Relationship.objects.filter(pk=w["rel"].pk).update(
        starts=timezone.now() - timedelta(days=700), expires=timezone.now() + timedelta(days=30)
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = relationship_renew(relationship=w["rel"], acting_user=w["megan"])
    # when: renewed again (a double submit, or a second admin at the same moment)
    with django_capture_on_commit_callbacks(execute=True):
        second = relationship_renew(relationship=w["rel"], acting_user=w["megan"])
    # then: one renewal, one audit event, one mail per recipient
    assert second.expires == first.expires
    assert Relationship.objects.get(pk=w["rel"].pk).expires == first.expires
    assert AuditEvent.objects.filter(action=Action.RELATIONSHIP_RENEWED).count() == 1
    assert OutboundEmail.objects.filter(kind="renewed", to="alex@fabrikam.example").count() == 1


def test_agents_cannot_renew(world):
    with pytest.raises(PermissionDenied):
        relationship_renew(relationship=world["rel"], acting_user=world["lee"])


@pytest.mark.parametrize("status", [RelationshipStatus.TERMINATED, RelationshipStatus.EXPIRED])
def test_ended_relationships_cannot_be_renewed(world, status):
    w = world
    rel = make_relationship(make_partner(), w["contoso"], status=status)
    with pytest.raises(ValidationError):
        relationship_renew(relationship=rel, acting_user=w["megan"])
    assert Relationship.objects.get(pk=rel.pk).expires == rel.expires


def test_a_relationship_past_its_end_cannot_be_renewed_even_before_the_task(world):
    w = world
    rel = make_relationship(
        make_partner(), w["contoso"], days=30, starts=timezone.now() - timedelta(days=31)
    )
    assert rel.status == RelationshipStatus.ACTIVE
    with pytest.raises(ValidationError, match="expired"):
        relationship_renew(relationship=rel, acting_user=w["megan"])
    with pytest.raises(ValidationError, match="expired"):
        relationship_terminate(relationship=rel, acting_user=w["megan"], reason="x")


def test_expiry_stops_access_before_the_task_and_is_recorded_after_it(world):
    # given a relationship whose end passed a minute ago, not yet marked
    w = world
    Relationship.objects.filter(pk=w["rel"].pk).update(
        starts=timezone.now() - timedelta(days=30),
        expires=timezone.now() - timedelta(minutes=1),
    )
    # then: no rights already, though the status still says active
    assert Relationship.objects.get(pk=w["rel"].pk).status == RelationshipStatus.ACTIVE
    assert not rights(w["lee"], w["contoso"])
    # when the periodic task runs (twice)
    assert relationships_expire.delay().get() == 1
    assert relationships_expire_due() == 0
    # then
    rel = Relationship.objects.get(pk=w["rel"].pk)
    assert rel.status == RelationshipStatus.EXPIRED
    assert not rights(w["lee"], w["contoso"])
    event = AuditEvent.objects.get()
    assert event.action == Action.RELATIONSHIP_EXPIRED
    assert event.actor_id is None
    assert event.tenant_id == w["contoso"].pk


def test_the_expiry_task_leaves_current_relationships_alone(world):
    assert relationships_expire_due() == 0
    assert Relationship.objects.get(pk=world["rel"].pk).status == RelationshipStatus.ACTIVE


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (timedelta(days=31), None),
        (timedelta(days=30), 30),
        (timedelta(days=8), 30),
        (timedelta(days=7), 7),
        (timedelta(days=2), 7),
        (timedelta(hours=23), 1),
        (timedelta(0), None),
    ],
)
def test_reminder_thresholds(left, expected):
    now = timezone.now()
    assert reminder_threshold(now + left, now) == expected


def test_each_reminder_is_sent_once_however_often_the_task_runs(world):
    # given a relationship ending in 29.5 days
    w = world
    now = timezone.now()
    expires = now + timedelta(days=29, hours=12)
    Relationship.objects.filter(pk=w["rel"].pk).update(
        starts=now - timedelta(days=700), expires=expires
    )
    recipients = {"alex@fabrikam.example", "megan@contoso.example"}
    # when the task runs three times in the 30-day window
    written = [relationship_reminders.delay().get() for _ in range(3)]
    # then one message per recipient
    assert written == [2, 0, 0]
    assert set(OutboundEmail.objects.values_list("to", flat=True)) == recipients
    # and the same at 7 days and at 1 day before the end
    for left in (timedelta(days=6), timedelta(hours=20)):
        results = [relationship_reminders_send(now=expires - left) for _ in range(3)]
        assert results == [2, 0, 0]
    assert OutboundEmail.objects.count() == 6
    subjects = sorted(set(OutboundEmail.objects.values_list("subject", flat=True)))
    assert subjects == [
        "Delegated administration of Contoso by Fabrikam Partners ends in 1 day",
        "Delegated administration of Contoso by Fabrikam Partners ends in 30 days",
        "Delegated administration of Contoso by Fabrikam Partners ends in 7 days",
    ]


def test_a_renewed_relationship_gets_its_reminders_afresh(world):
    w = world
    now = timezone.now()
    Relationship.objects.filter(pk=w["rel"].pk).update(
        starts=now - timedelta(days=725), expires=now + timedelta(days=5)
    )
    assert relationship_reminders_send() == 2
    Relationship.objects.filter(pk=w["rel"].pk).update(duration_days=10)
    relationship_renew(relationship=w["rel"], acting_user=w["megan"])
    assert relationship_reminders_send() == 2  # the 30-day one for the new end
    assert relationship_reminders_send() == 0


def test_the_database_refuses_a_relationship_longer_than_730_days(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Relationship.objects.filter(pk=world["rel"].pk).update(duration_days=731)
