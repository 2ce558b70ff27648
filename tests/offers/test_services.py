"""The services of offers: create, revoke, send, accept and decline."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from delegation.models import Relationship
from offers import services
from offers.models import Offer, OfferPreset, OfferResponse
from offers.services import (
    AcceptOutcome,
    OfferError,
    OfferErrorCode,
    offer_accept,
    offer_decline,
    offer_revoke,
    offer_send,
)
from tenants.models import OutboundEmail
from tenants.roles import Role
from tests.factories import make_partner_user, make_relationship, make_tenant, make_user
from tests.offers.helpers import make_customer_admin, make_offer, make_world

pytestmark = pytest.mark.django_db


def actions(tenant) -> list[str]:
    return list(
        AuditEvent.objects.filter(tenant_id=tenant.pk)
        .order_by("seq")
        .values_list("action", flat=True)
    )


# --- create ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "roles"),
    [
        (OfferPreset.FULL, ["global_admin"]),
        (OfferPreset.HELPDESK, ["password_admin", "service_support_admin"]),
        (OfferPreset.USER_MANAGEMENT, ["user_admin", "password_admin"]),
    ],
)
def test_a_preset_decides_the_roles(preset, roles):
    # given
    world = make_world()
    # when
    offer = make_offer(world.partner_admin, preset=preset, roles=[Role.BILLING_ADMIN])
    # then
    assert sorted(offer.roles) == sorted(roles)
    assert offer.duration_days == 730
    assert offer.max_uses is None
    assert actions(world.partner) == [Action.OFFER_CREATED]


def test_a_custom_offer_keeps_its_roles_in_catalogue_order_without_duplicates():
    world = make_world()
    offer = make_offer(
        world.partner_admin,
        preset=OfferPreset.CUSTOM,
        roles=[Role.BILLING_ADMIN, Role.USER_ADMIN, Role.BILLING_ADMIN],
    )
    assert offer.roles == ["user_admin", "billing_admin"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"preset": OfferPreset.CUSTOM, "roles": []}, "roles"),
        ({"duration_days": 0}, "duration_days"),
        ({"duration_days": 731}, "duration_days"),
        ({"max_uses": 0}, "max_uses"),
        ({"expires_at": "past"}, "expires_at"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(kwargs, field):
    world = make_world()
    if kwargs.get("expires_at") == "past":
        kwargs["expires_at"] = timezone.now() - timedelta(minutes=1)
    with pytest.raises(ValidationError) as info:
        make_offer(world.partner_admin, **kwargs)
    assert field in info.value.message_dict
    assert not Offer.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_custom_role_outside_the_catalogue_is_refused():
    world = make_world()
    with pytest.raises(ValidationError):
        services.offer_create(
            acting_user=world.partner_admin, preset=OfferPreset.CUSTOM, roles=["root"]
        )


@pytest.mark.parametrize("who", ["staff", "customer_admin"])
def test_only_a_partner_admin_creates_offers(who):
    world = make_world()
    user = (
        make_partner_user(world.partner, level="full") if who == "staff" else world.customer_admin
    )
    with pytest.raises(PermissionDenied):
        make_offer(user)
    assert not Offer.objects.exists()


def test_the_token_is_long_random_and_unique():
    world = make_world()
    tokens = {make_offer(world.partner_admin).token for _ in range(20)}
    assert len(tokens) == 20
    # 43 URL-safe base64 characters carry 256 bits (the issue asks for at least 128)
    assert all(len(t) == 43 for t in tokens)


# --- revoke ------------------------------------------------------------------------------


def test_revoke_stops_the_offer_and_twice_changes_nothing():
    world = make_world()
    offer = make_offer(world.partner_admin)
    # when
    offer_revoke(offer=offer, acting_user=world.partner_admin)
    offer_revoke(offer=offer, acting_user=world.partner_admin)
    # then
    offer.refresh_from_db()
    assert offer.current_status == "revoked"
    assert offer.revoked_by == world.partner_admin
    assert actions(world.partner).count(Action.OFFER_REVOKED) == 1


def test_staff_and_other_partners_cannot_revoke():
    world = make_world()
    offer = make_offer(world.partner_admin)
    other = make_world(partner_name="Litware")
    for user in (make_partner_user(world.partner, level="full"), other.partner_admin):
        with pytest.raises(PermissionDenied):
            offer_revoke(offer=offer, acting_user=user)
    offer.refresh_from_db()
    assert offer.current_status == "active"


# --- send --------------------------------------------------------------------------------


def test_send_writes_one_outbox_row_per_address_and_a_double_submit_sends_once():
    world = make_world()
    offer = make_offer(world.partner_admin)
    # when
    first = offer_send(
        offer=offer,
        acting_user=world.partner_admin,
        recipients="a@contoso.example, B@contoso.example\nb@contoso.example",
        send_id="form-1",
    )
    again = offer_send(
        offer=offer,
        acting_user=world.partner_admin,
        recipients="a@contoso.example, b@contoso.example",
        send_id="form-1",
    )
    # then
    assert sorted(r.to for r in first) == ["a@contoso.example", "b@contoso.example"]
    assert again == []
    assert OutboundEmail.objects.count() == 2
    message = OutboundEmail.objects.first()
    assert message is not None
    assert offer.get_public_url() in message.body_text
    assert "Fabrikam Partners" in message.subject
    assert offer.get_public_url() in message.body_html
    assert actions(world.partner).count(Action.OFFER_SENT) == 1


def test_a_partner_mails_offers_to_at_most_its_daily_cap_of_addresses(settings, record_property):
    record_property("battery.attacks", 1)
    # given: a cap of 5 a day, 4 addresses mailed already (two offers)
    settings.OFFER_MAIL_DAILY_CAP = 5
    world = make_world()
    first, second = make_offer(world.partner_admin), make_offer(world.partner_admin)
    offer_send(offer=first, acting_user=world.partner_admin, recipients="a@x.example, b@x.example")
    offer_send(offer=second, acting_user=world.partner_admin, recipients="c@x.example, d@x.example")
    # when: two more
    with pytest.raises(ValidationError, match="5 addresses a day, and has 1 left today"):
        offer_send(
            offer=second, acting_user=world.partner_admin, recipients="e@x.example, f@x.example"
        )
    # then: nothing of that send is written; one more still goes
    assert OutboundEmail.objects.count() == 4
    assert actions(world.partner).count(Action.OFFER_SENT) == 2
    offer_send(offer=first, acting_user=world.partner_admin, recipients="e@x.example")
    assert OutboundEmail.objects.count() == 5


def test_the_daily_cap_counts_only_the_last_24_hours(settings):
    settings.OFFER_MAIL_DAILY_CAP = 2
    world = make_world()
    offer = make_offer(world.partner_admin)
    offer_send(offer=offer, acting_user=world.partner_admin, recipients="a@x.example, b@x.example")
    # the send was a day and a minute ago (events are append-only: only the test moves time)
    later = timezone.now() + timedelta(days=1, minutes=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services.timezone, "now", lambda: later)
        rows = offer_send(offer=offer, acting_user=world.partner_admin, recipients="c@x.example")
    assert [r.to for r in rows] == ["c@x.example"]


def test_send_refuses_a_bad_address_and_sends_nothing():
    world = make_world()
    offer = make_offer(world.partner_admin)
    with pytest.raises(ValidationError, match="not-an-address"):
        offer_send(
            offer=offer,
            acting_user=world.partner_admin,
            recipients="a@contoso.example, not-an-address",
        )
    assert not OutboundEmail.objects.exists()


def test_a_revoked_offer_cannot_be_sent():
    world = make_world()
    offer = make_offer(world.partner_admin)
    offer_revoke(offer=offer, acting_user=world.partner_admin)
    with pytest.raises(OfferError):
        offer_send(offer=offer, acting_user=world.partner_admin, recipients="a@contoso.example")


# --- accept ------------------------------------------------------------------------------


def test_accept_creates_the_relationship_audits_and_writes_the_mail():
    # given
    world = make_world()
    world.partner.contact_email = "partners@fabrikam.example"
    world.partner.save()
    make_partner_user(world.partner, level="full")  # staff: not told
    offer = make_offer(world.partner_admin, preset=OfferPreset.HELPDESK, duration_days=30)
    before = timezone.now()
    # when
    acceptance = offer_accept(offer=offer, acting_user=world.customer_admin)
    # then
    assert acceptance.outcome == AcceptOutcome.CREATED
    rel = Relationship.objects.get()
    assert (rel.partner, rel.customer, rel.offer) == (world.partner, world.customer, offer)
    assert rel.roles == ["password_admin", "service_support_admin"]
    assert rel.accepted_by == world.customer_admin
    assert rel.status == "active"
    assert before <= rel.starts <= timezone.now()
    assert rel.expires == rel.starts + timedelta(days=30)
    offer.refresh_from_db()
    assert offer.uses == 1
    assert OfferResponse.objects.get().response == "accepted"
    assert actions(world.customer) == [Action.OFFER_ACCEPTED, Action.RELATIONSHIP_CREATED]
    assert actions(world.partner) == [Action.OFFER_CREATED, Action.RELATIONSHIP_CREATED]
    rows = {m.to: m for m in OutboundEmail.objects.all()}
    assert set(rows) == {
        world.partner_admin.email,
        "partners@fabrikam.example",
        world.customer_admin.email,
    }
    confirmation = rows["partners@fabrikam.example"]
    assert "Contoso" in confirmation.subject
    for expected in ("Megan Bowen", "Password administrator", "Service support administrator"):
        assert expected in confirmation.body_text
        assert expected in confirmation.body_html
    receipt = rows[world.customer_admin.email]
    assert "Fabrikam Partners" in receipt.subject
    assert "remove this access at any time" in receipt.body_text
    assert receipt.body_html


def test_accepting_twice_is_harmless():
    world = make_world()
    offer = make_offer(world.partner_admin)
    offer_accept(offer=offer, acting_user=world.customer_admin)
    mails, events = OutboundEmail.objects.count(), AuditEvent.objects.count()
    # when
    again = offer_accept(offer=offer, acting_user=world.customer_admin)
    # then
    assert again.outcome == AcceptOutcome.UNCHANGED
    assert Relationship.objects.count() == 1
    offer.refresh_from_db()
    assert offer.uses == 1
    assert OfferResponse.objects.count() == 1
    assert (OutboundEmail.objects.count(), AuditEvent.objects.count()) == (mails, events)


def test_accepting_another_offer_replaces_roles_and_end_date_of_the_active_one():
    # given
    world = make_world()
    first = make_offer(world.partner_admin, preset=OfferPreset.FULL, duration_days=10)
    offer_accept(offer=first, acting_user=world.customer_admin)
    rel = Relationship.objects.get()
    second = make_offer(world.partner_admin, preset=OfferPreset.HELPDESK, duration_days=400)
    # when
    acceptance = offer_accept(offer=second, acting_user=world.customer_admin)
    # then
    assert acceptance.outcome == AcceptOutcome.UPDATED
    updated = Relationship.objects.get()
    assert updated.pk == rel.pk
    assert updated.starts == rel.starts
    assert updated.roles == ["password_admin", "service_support_admin"]
    assert updated.expires > rel.expires + timedelta(days=380)
    assert updated.offer == second
    event = AuditEvent.objects.filter(
        tenant_id=world.customer.pk, action=Action.RELATIONSHIP_UPDATED
    ).get()
    assert event.changes["roles"] == [
        ["global_admin"],
        ["password_admin", "service_support_admin"],
    ]


def test_a_lapsed_relationship_not_yet_marked_is_closed_and_a_new_one_starts():
    world = make_world()
    old = make_relationship(
        world.partner,
        world.customer,
        days=1,
        starts=timezone.now() - timedelta(days=2),
        accepted_by=world.customer_admin,
    )
    offer = make_offer(world.partner_admin)
    # when
    acceptance = offer_accept(offer=offer, acting_user=world.customer_admin)
    # then
    assert acceptance.outcome == AcceptOutcome.CREATED
    old.refresh_from_db()
    assert old.status == "expired"
    assert Relationship.objects.filter(status="active").get().pk == acceptance.relationship.pk


def test_a_customer_holds_relationships_with_several_partners_each_with_its_roles():
    world = make_world()
    other = make_world(partner_name="Litware")
    offer_accept(
        offer=make_offer(world.partner_admin, preset=OfferPreset.FULL),
        acting_user=world.customer_admin,
    )
    offer_accept(
        offer=make_offer(other.partner_admin, preset=OfferPreset.USER_MANAGEMENT),
        acting_user=world.customer_admin,
    )
    roles = dict(
        Relationship.objects.filter(customer=world.customer, status="active").values_list(
            "partner__name", "roles"
        )
    )
    assert roles == {
        "Fabrikam Partners": ["global_admin"],
        "Litware": ["user_admin", "password_admin"],
    }


def test_a_race_lost_on_the_unique_index_ends_as_already_accepted(monkeypatch):
    # given: another answer committed the pair's relationship after this one looked
    world = make_world()
    offer = make_offer(world.partner_admin)
    existing = make_relationship(world.partner, world.customer, accepted_by=world.customer_admin)
    monkeypatch.setattr(services, "_lock_active_relationship", lambda partner, customer: None)
    # when
    acceptance = offer_accept(offer=offer, acting_user=world.customer_admin)
    # then
    assert acceptance.outcome == AcceptOutcome.UNCHANGED
    assert acceptance.relationship.pk == existing.pk
    assert Relationship.objects.count() == 1
    offer.refresh_from_db()
    assert offer.uses == 0
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("state", ["revoked", "expired", "exhausted"])
def test_an_offer_that_is_no_longer_active_cannot_be_accepted(state):
    world = make_world()
    offer = make_offer(world.partner_admin, max_uses=1)
    if state == "revoked":
        offer_revoke(offer=offer, acting_user=world.partner_admin)
    elif state == "expired":
        Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    else:
        offer_accept(offer=offer, acting_user=make_customer_admin())
    rel_count = Relationship.objects.count()
    # when
    with pytest.raises(OfferError) as info:
        offer_accept(offer=offer, acting_user=world.customer_admin)
    # then
    assert info.value.code == OfferErrorCode(state)
    assert "Fabrikam Partners" in info.value.message
    assert Relationship.objects.count() == rel_count


def wrong_users(world):
    other_partner = make_world(partner_name="Litware")
    return {
        "partner_admin_of_the_offer": world.partner_admin,
        "partner_staff_of_the_offer": make_partner_user(world.partner, level="full"),
        "admin_of_another_partner": other_partner.partner_admin,
        "customer_password_admin": make_user(world.customer, roles=[Role.PASSWORD_ADMIN]),
        "customer_user": make_user(world.customer),
    }


@pytest.mark.parametrize(
    "who",
    [
        "partner_admin_of_the_offer",
        "partner_staff_of_the_offer",
        "admin_of_another_partner",
        "customer_password_admin",
        "customer_user",
    ],
)
def test_only_a_customer_global_admin_may_answer(who):
    world = make_world()
    offer = make_offer(world.partner_admin)
    user = wrong_users(world)[who]
    for answer in (offer_accept, offer_decline):
        with pytest.raises(OfferError) as info:
            answer(offer=offer, acting_user=user)
        assert info.value.code == OfferErrorCode.NOT_ALLOWED
    assert not Relationship.objects.exists()
    assert not OfferResponse.objects.exists()


# --- decline -----------------------------------------------------------------------------


def test_decline_records_who_and_when_and_grants_nothing():
    world = make_world()
    offer = make_offer(world.partner_admin)
    # when
    response = offer_decline(offer=offer, acting_user=world.customer_admin)
    again = offer_decline(offer=offer, acting_user=world.customer_admin)
    # then
    assert again.pk == response.pk
    assert response.response == "declined"
    assert response.responded_by == world.customer_admin
    assert response.customer == world.customer
    assert not Relationship.objects.exists()
    assert actions(world.customer) == [Action.OFFER_DECLINED]
    assert actions(world.partner) == [Action.OFFER_CREATED, Action.OFFER_DECLINED]
    offer.refresh_from_db()
    assert offer.uses == 0


def test_declining_leaves_an_existing_relationship_alone():
    world = make_world()
    rel = make_relationship(world.partner, world.customer, accepted_by=world.customer_admin)
    offer = make_offer(world.partner_admin, preset=OfferPreset.HELPDESK)
    offer_decline(offer=offer, acting_user=world.customer_admin)
    rel.refresh_from_db()
    assert rel.status == "active"
    assert rel.roles == ["global_admin"]


def test_a_customer_of_a_second_tenant_may_still_answer_an_offer_the_first_declined():
    world = make_world()
    offer = make_offer(world.partner_admin)
    offer_decline(offer=offer, acting_user=world.customer_admin)
    acceptance = offer_accept(
        offer=offer, acting_user=make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN])
    )
    assert acceptance.outcome == AcceptOutcome.CREATED


# --- an offer that changed after it was read ------------------------------------------


def _nothing_written_for(customer_admin) -> None:
    customer = customer_admin.tenant
    assert not Relationship.objects.filter(customer=customer).exists()
    assert not OfferResponse.objects.filter(customer=customer).exists()
    assert not AuditEvent.objects.filter(tenant=customer).exists()
    assert not OutboundEmail.objects.filter(to=customer_admin.email).exists()


def test_an_offer_revoked_after_it_was_read_is_refused_and_nothing_is_written():
    # given: the customer's page read the offer; the partner then revoked it
    world = make_world()
    offer = make_offer(world.partner_admin)
    as_read = Offer.objects.select_related("partner").get(pk=offer.pk)
    services.offer_revoke(offer=offer, acting_user=world.partner_admin)
    # when
    with pytest.raises(services.OfferError) as refused:
        services.offer_accept(offer=as_read, acting_user=world.customer_admin)
    # then
    assert refused.value.code == services.OfferErrorCode.REVOKED
    _nothing_written_for(world.customer_admin)
    assert Offer.objects.get(pk=offer.pk).uses == 0


def test_a_link_that_ended_after_the_offer_was_read_is_refused_and_nothing_is_written():
    # given: the customer's page read the offer in its last second
    world = make_world()
    offer = make_offer(world.partner_admin, expires_at=timezone.now() + timedelta(minutes=5))
    as_read = Offer.objects.select_related("partner").get(pk=offer.pk)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # when: the use is counted against the link's end as it is now
    with pytest.raises(services.OfferError) as refused:
        services.offer_accept(offer=as_read, acting_user=world.customer_admin)
    # then
    assert refused.value.code == services.OfferErrorCode.EXPIRED
    _nothing_written_for(world.customer_admin)
    assert Offer.objects.get(pk=offer.pk).uses == 0


def test_the_last_use_taken_after_the_offer_was_read_refuses_and_undoes_the_answer():
    # given: a one-use offer read by two customers; the other one accepts first
    world = make_world()
    offer = make_offer(world.partner_admin, max_uses=1)
    as_read = Offer.objects.select_related("partner").get(pk=offer.pk)
    services.offer_accept(offer=offer, acting_user=make_customer_admin("Northwind"))
    # when: the relationship is written before the use is counted, and must be undone
    with pytest.raises(services.OfferError) as refused:
        services.offer_accept(offer=as_read, acting_user=world.customer_admin)
    # then
    assert refused.value.code == services.OfferErrorCode.EXHAUSTED
    assert "Fabrikam Partners" in refused.value.message
    _nothing_written_for(world.customer_admin)
    assert Offer.objects.get(pk=offer.pk).uses == 1
