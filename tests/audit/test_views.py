"""The audit log page, its CSV export, and the partner's Activity page."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import audit_in, audit_record
from audit.views import PAGE_SIZE, csv_safe
from delegation.access import rights
from tenants.roles import Role
from tenants.services import service_request_comment, service_request_create
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_tenant,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    fabrikam = make_partner(name="Fabrikam Partners", domain="fabrikam.example")
    contoso = make_tenant(name="Contoso", domain="contoso.example")
    northwind = make_tenant(name="Northwind Traders", domain="northwind.example")
    megan = make_user(
        contoso, email="megan@contoso.example", first_name="Megan", last_name="Bowen",
        roles=[Role.GLOBAL_ADMIN],
    )  # fmt: skip
    alex = make_partner_user(
        fabrikam, email="alex@fabrikam.example", first_name="Alex", last_name="Wilber",
        roles=[Role.GLOBAL_ADMIN],
    )  # fmt: skip
    lee = make_partner_user(
        fabrikam, email="lee@fabrikam.example", first_name="Lee", last_name="Gu", level="full"
    )
    adele = make_partner_user(
        fabrikam, email="adele@fabrikam.example", first_name="Adele", last_name="Vance",
        level="limited",
    )  # fmt: skip
    make_relationship(fabrikam, contoso, accepted_by=megan)
    make_relationship(fabrikam, northwind)
    return locals()


def log_url(tenant, **query):
    url = reverse("audit:log", kwargs={"tenant_id": tenant.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def act(user, tenant, action=Action.USER_UPDATED, target_repr="ana@contoso.example", **kw):
    return audit_in(
        rights(user, tenant), action=action, acting_user=user, target_repr=target_repr, **kw
    )


def fill(tenant, n, action=Action.USER_UPDATED):
    for i in range(n):
        audit_record(tenant=tenant, action=action, target_repr=f"filler {i}")


def test_the_contoso_log_names_adele_and_lee_for_what_they_did(client, world):
    # given lee and adele work in Contoso's admin center
    w = world
    for agent in (w["lee"], w["adele"]):
        agent_client = client.__class__()
        sign_in(agent_client, agent)
        assert (
            agent_client.get(reverse("tenants:admin-center", args=[w["contoso"].pk])).status_code
            == 200
        )
    act(w["lee"], w["contoso"], Action.USER_CREATED, "new.hire@contoso.example")
    act(w["adele"], w["contoso"], Action.USER_PASSWORD_RESET, "patti@contoso.example")
    # when megan reads the log
    sign_in(client, w["megan"])
    html = client.get(log_url(w["contoso"])).content.decode()
    # then each technician is named, with partner and level
    assert "Lee Gu (Fabrikam Partners, Full administration)" in html
    assert "Adele Vance (Fabrikam Partners, Limited administration)" in html
    assert "Entered the admin center on the customer&#39;s behalf" in html
    assert "new.hire@contoso.example" in html
    assert "Reset a user&#39;s password" in html
    entered = AuditEvent.objects.filter(tenant=w["contoso"], action=Action.ADMIN_CENTER_ENTERED)
    assert entered.count() == 2
    assert {e.relationship_id for e in entered} == {w["contoso"].partner_relationships.get().pk}


def test_an_agent_enters_once_per_session(client, world):
    w = world
    sign_in(client, w["lee"])
    for _ in range(3):
        client.get(reverse("tenants:admin-center", args=[w["contoso"].pk]))
    assert AuditEvent.objects.filter(action=Action.ADMIN_CENTER_ENTERED).count() == 1


def test_limited_agents_and_outsiders_do_not_find_the_log(client, world):
    w = world
    for user in (w["adele"], make_user(w["northwind"], roles=[Role.GLOBAL_ADMIN])):
        sign_in(client, user)
        assert client.get(log_url(w["contoso"])).status_code == 404
        assert client.get(reverse("audit:export", args=[w["contoso"].pk])).status_code == 404


def test_a_full_agent_may_read_the_customers_log(client, world):
    sign_in(client, world["lee"])
    assert client.get(log_url(world["contoso"])).status_code == 200


def test_filters_by_actor_partner_action_and_dates(client, world):
    # given
    w = world
    act(w["megan"], w["contoso"], Action.DOMAIN_ADDED, "contoso.dev")
    act(w["lee"], w["contoso"], Action.USER_CREATED, "lee-made@contoso.example")
    act(w["lee"], w["contoso"], Action.USER_DISABLED, "lee-disabled@contoso.example")
    act(w["lee"], w["northwind"], Action.USER_CREATED, "elsewhere@northwind.example")
    sign_in(client, w["megan"])

    def shown(**query):
        response = client.get(log_url(w["contoso"], **query))
        assert response.status_code == 200
        return [e.target_repr for e in response.context["page"].events]

    # then
    assert shown(actor="lee@fabrikam.example") == [
        "lee-disabled@contoso.example",
        "lee-made@contoso.example",
    ]
    assert shown(partner=w["fabrikam"].pk, action=Action.USER_CREATED) == [
        "lee-made@contoso.example"
    ]
    page = client.get(log_url(w["contoso"], partner=w["fabrikam"].pk)).content.decode()
    assert f'<option value="{w["fabrikam"].pk}" selected>Fabrikam Partners</option>' in page
    assert shown(actor="MEGAN@contoso.example") == ["contoso.dev"]
    today = timezone.now().date()
    assert len(shown(date_from=today, date_to=today)) == 3
    assert shown(date_to=today - timedelta(days=1)) == []
    assert shown(date_from=today + timedelta(days=1)) == []
    bad = client.get(log_url(w["contoso"], date_from=today, date_to=today - timedelta(days=2)))
    assert "The start date is after the end date." in bad.content.decode()


def test_keyset_pages_walk_the_whole_log_without_offset(client, world):
    # given 2.5 pages of events
    w = world
    total = PAGE_SIZE * 2 + PAGE_SIZE // 2
    fill(w["contoso"], total)
    sign_in(client, w["megan"])
    # when walking older, then newer
    seen = []
    url = log_url(w["contoso"])
    pages = []
    while url:
        response = client.get(url)
        page = response.context["page"]
        pages.append(page)
        seen += [e.seq for e in page.events]
        older = response.context["older_url"]
        url = log_url(w["contoso"]) + older if older else None
    # then every event once, newest first
    assert seen == list(range(total, 0, -1))
    assert [len(p.events) for p in pages] == [PAGE_SIZE, PAGE_SIZE, PAGE_SIZE // 2]
    assert pages[0].newer is None
    back = client.get(log_url(w["contoso"], after=pages[2].events[0].seq))
    assert [e.seq for e in back.context["page"].events] == [e.seq for e in pages[1].events]
    assert "OFFSET" not in str(AuditEvent.objects.filter(seq__lt=10).order_by("-seq")[:51].query)


def test_the_log_page_query_count_does_not_grow_with_the_log(
    client, world, django_assert_num_queries
):
    # given
    w = world
    fill(w["contoso"], 60)
    sign_in(client, w["megan"])
    client.get(log_url(w["contoso"]))  # warm the session
    # then: the session, the user (with its tenant, roles and second factor: the tenant of
    # the page), the partners for the filter, the events
    with django_assert_num_queries(4):
        assert client.get(log_url(w["contoso"], action=Action.USER_UPDATED)).status_code == 200
    fill(w["contoso"], 500)
    with django_assert_num_queries(4):
        response = client.get(log_url(w["contoso"], before=300))
    assert len(response.context["page"].events) == PAGE_SIZE


def test_csv_export_streams_the_filtered_set(client, world):
    # given
    w = world
    act(w["lee"], w["contoso"], Action.USER_CREATED, '=HYPERLINK("http://evil")')
    act(w["lee"], w["contoso"], Action.USER_DISABLED, "@SUM(A1)")
    act(w["megan"], w["contoso"], Action.USER_CREATED, "kept.out@contoso.example")
    fill(w["contoso"], 30)
    sign_in(client, w["megan"])
    # when
    response = client.get(
        reverse("audit:export", args=[w["contoso"].pk]), {"actor": "lee@fabrikam.example"}
    )
    # then
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["target"] for r in rows] == ["'@SUM(A1)", '\'=HYPERLINK("http://evil")']
    assert {r["actor_organisation"] for r in rows} == {"Fabrikam Partners"}
    assert {r["actor_partner_level"] for r in rows} == {"full"}
    assert rows[0]["action"] == Action.USER_DISABLED


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("plain", "plain"),
        (None, ""),
    ],
)
def test_csv_cells_are_formula_safe(value, expected):
    assert csv_safe(value) == expected


def test_the_partner_sees_what_its_staff_did_across_customers(client, world):
    # given
    w = world
    act(w["lee"], w["contoso"], Action.USER_CREATED, "in-contoso@contoso.example")
    act(w["lee"], w["northwind"], Action.USER_CREATED, "in-northwind@northwind.example")
    act(w["megan"], w["contoso"], Action.USER_CREATED, "by-megan@contoso.example")
    url = reverse("audit:activity")
    # when the partner admin looks
    sign_in(client, w["alex"])
    response = client.get(url)
    # then
    html = response.content.decode()
    assert "in-contoso@contoso.example" in html
    assert "in-northwind@northwind.example" in html
    assert "Northwind Traders" in html
    assert "by-megan@contoso.example" not in html
    # a technician sees its own work only; a customer finds no such page
    act(w["adele"], w["contoso"], Action.USER_PASSWORD_RESET, "adele-did@contoso.example")
    sign_in(client, w["lee"])
    html = client.get(url).content.decode()
    assert "in-contoso@contoso.example" in html
    assert "adele-did@contoso.example" not in html
    sign_in(client, w["megan"])
    assert client.get(url).status_code == 404


def test_every_value_of_an_event_is_escaped_on_the_page(client, world):
    # given: values someone could have typed, in every cell
    w = world
    w["megan"].first_name = "<b>Megan</b>"
    act(
        w["megan"],
        w["contoso"],
        target_repr="<script>alert(1)</script>",
        target_type="<i>user</i>",
        changes={"job_title": ["<em>old</em>", "<img src=x onerror=alert(1)>"]},
    )
    sign_in(client, w["megan"])
    # when
    body = client.get(log_url(w["contoso"])).content.decode()
    # then
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<del>&lt;em&gt;old&lt;/em&gt;</del> → " in body
    assert "&lt;b&gt;Megan&lt;/b&gt; Bowen" in body
    assert "&lt;i&gt;user&lt;/i&gt;" in body


def test_a_page_row_reads_as_its_event_does(world):
    # given: events by the customer, by a partner technician and by no one
    w = world
    act(w["megan"], w["contoso"], changes={"name": ["Old <b>", "New & 'x'"], "mfa": True})
    act(w["lee"], w["contoso"], action=Action.USER_PASSWORD_RESET)
    audit_record(tenant=w["contoso"], action=Action.USER_CREATED, target_repr="")
    events = list(AuditEvent.objects.for_tenant(w["contoso"].pk).order_by("-seq"))
    # when
    rows = AuditEvent.objects.for_tenant(w["contoso"].pk).order_by("-seq").rows()
    # then: the same values, the same words, the same markup
    assert len(rows) == len(events) >= 3
    for row, event in zip(rows, events, strict=True):
        for name in row._fields:
            assert getattr(row, name) == getattr(event, name), name
        assert row.actor_display == event.actor_display
        assert row.action_label == event.action_label
        assert row.change_rows == event.change_rows
    assert any("(Fabrikam Partners, Full administration)" in r.actor_display for r in rows)


def test_the_log_shows_values_in_words_and_the_csv_keeps_them_as_recorded(client, world):
    # given: an event with role codes, a moment, a flag, a level and a comment
    megan, contoso = world["megan"], world["contoso"]
    ends = timezone.now().replace(year=2027, month=12, day=6, hour=4, minute=50)
    act(
        megan,
        contoso,
        changes={
            "roles": [["user_admin"], ["user_admin", "password_admin"]],
            "expires": [None, ends],
            "is_active": [True, False],
            "level": ["limited", "full"],
        },
    )
    service_request = service_request_create(
        acting_user=megan,
        tenant=contoso,
        title="Mailbox",
        description="It bounces.",
        severity="normal",
        contact_name="Megan Bowen",
        contact_email="megan@contoso.example",
    )
    service_request_comment(
        acting_user=megan,
        tenant=contoso,
        service_request=service_request,
        body="Mailbox fixed, thanks.",
    )
    sign_in(client, megan)
    # when
    page = client.get(log_url(contoso)).content.decode()
    export = client.get(reverse("audit:export", kwargs={"tenant_id": contoso.pk}))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    # then: the page speaks in words
    assert "User administrator, Password administrator" in page
    assert "user_admin" not in page
    assert "6 Dec 2027, 04:50 UTC" in page
    assert "<del>Yes</del> → No" in page
    assert "Full administration" in page
    assert "Mailbox fixed, thanks." in page
    # and the CSV keeps what was recorded
    changes = next(r["changes"] for r in rows if "is_active" in r["changes"])
    assert '"roles": [["user_admin"], ["user_admin", "password_admin"]]' in changes
    assert '"2027-12-06 04:50' in changes
