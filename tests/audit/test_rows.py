"""The rows of an audit table: escaped as Django escapes, dates as Django writes them,
and byte for byte what the template they replaced drew (kept in tests/reference)."""

import itertools
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from audit.models import AuditEvent
from audit.rows import audit_rows
from partnerportal import fragments
from tenants.models import Tenant

REFERENCE = Path(__file__).resolve().parent.parent / "reference"


def reference_rows(**context) -> str:
    """What ``audit_rows.jinja`` drew, as ``render_fragment`` rendered it."""
    env = fragments.environment().overlay(loader=jinja2.FileSystemLoader(REFERENCE))
    html = env.get_template("audit_rows.jinja").render(
        zone=timezone.get_current_timezone(), **context
    )
    return html.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")


def event(**values) -> AuditEvent:
    defaults = {
        "seq": 7,
        "tenant_id": uuid.uuid4(),
        "occurred_at": datetime(2026, 3, 4, 23, 30, 5, tzinfo=UTC),
        "actor_email": "o'neil@contoso.example",
        "actor_name": 'Kim "<b>" O\'Neil',
        "action": "user.created",
        "target_type": "user",
        "target_repr": "<img src=x onerror=alert(1)>",
        "changes": {"name": ["<em>old</em>", "new & 'quoted'"], "flag": [None, None]},
        "ip_address": "203.0.113.9",
        "request_id": "0123456789abcdefghij",
    }
    return AuditEvent(**{**defaults, **values})


def test_values_are_escaped_as_django_escapes_them():
    html = audit_rows([event()], anchored=True)
    assert "Kim &quot;&lt;b&gt;&quot; O&#x27;Neil" in html
    assert "o&#x27;neil@contoso.example" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<del>&lt;em&gt;old&lt;/em&gt;</del> → new &amp; &#x27;quoted&#x27;" in html
    assert '<span class="fw-semibold">flag</span>: —' in html
    assert ">0123456789abc…<" in html  # truncatechars:14
    assert '<tr id="event-7">' in html
    assert "<img" not in html
    assert "&#39;" not in html
    assert "&#34;" not in html


def test_the_organisation_column_names_the_tenant_or_a_dash():
    known, unknown = event(seq=1), event(seq=2)
    tenant = Tenant(id=known.tenant_id, name="Contoso <Ltd>")
    html = audit_rows([known, unknown], organisations={tenant.pk: tenant})
    cells = re.findall(r"<td>([^<]*)</td>\s*</tr>", html)
    assert cells == ["Contoso &lt;Ltd&gt;", "—"]
    assert "id=" not in html


@pytest.mark.parametrize("micro", [0, 176_000])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "Pacific/Auckland"])
def test_dates_are_written_as_django_writes_them_in_the_current_zone(zone, micro):
    moment = datetime(2026, 3, 4, 23, 30, 5, micro, tzinfo=UTC)
    with timezone.override(zone):
        local = timezone.localtime(moment)
        html = audit_rows([event(occurred_at=moment)])
    assert f'<time datetime="{date_filter(local, "c")}">' in html
    assert f">{date_filter(local, 'j M Y, H:i:s')}</time>" in html


def variety() -> list[AuditEvent]:
    """Events that take every branch of a row, each value with markup in it."""
    home, partner = uuid.uuid4(), uuid.uuid4()
    actors: list[dict[str, Any]] = [
        {"actor_id": None, "actor_email": "", "actor_name": ""},  # the portal itself
        {"actor_id": uuid.uuid4(), "actor_email": "a@x.example", "actor_name": "a@x.example"},
        {
            "actor_id": uuid.uuid4(), "actor_email": "b&<b>@x", "actor_name": "B <i>",
            "actor_tenant_id": home,
        },
        {
            "actor_id": uuid.uuid4(), "actor_email": "lee@fabrikam.example",
            "actor_name": "Lee \"Gu\"", "actor_tenant_id": partner,
            "actor_tenant_name": "Fabrikam <Partners>", "actor_partner_level": "full",
        },
        {
            "actor_id": uuid.uuid4(), "actor_email": "x@y", "actor_name": "",
            "actor_tenant_id": partner, "actor_tenant_name": "", "actor_partner_level": "odd<>",
        },
    ]  # fmt: skip
    targets: list[dict[str, Any]] = [
        {"target_repr": "", "target_type": "user"},
        {"target_repr": "Ana <&>", "target_type": ""},
        {"target_repr": "Ana", "target_type": "us'er"},
    ]
    changes = [
        None,
        {},
        {"roles": [["a", "b"], ["<c>"]], "n": [1, 2.5], "on": True, "x": [None, "y"]},
        {"pair": ["old", None], "three": [1, 2, 3], "nested": {"k": "<v>"}},
    ]
    sources: list[dict[str, Any]] = [
        {"ip_address": None, "request_id": ""},
        {"ip_address": "2001:db8::1", "request_id": "short"},
        {"ip_address": "", "request_id": "<0123456789abcdef>"},
    ]
    actions = ["user.created", "not.a.known<action>"]
    start = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    return [
        event(
            seq=n,
            tenant_id=home if n % 2 else partner,
            occurred_at=start - timedelta(hours=7 * n),
            action=action,
            changes=change,
            **actor,
            **target,
            **source,
        )
        for n, (actor, target, change, source, action) in enumerate(
            itertools.product(actors, targets, changes, sources, actions), start=1
        )
    ]


@pytest.mark.parametrize("zone", ["UTC", "America/St_Johns"])
@pytest.mark.parametrize("anchored", [True, False])
def test_rows_are_what_the_template_they_replaced_drew(zone, anchored):
    events = variety()
    home = Tenant(id=events[0].tenant_id, name="Contoso & <Co>")
    with timezone.override(zone):
        for organisations in (None, {home.pk: home}):
            ours = audit_rows(events, organisations=organisations, anchored=anchored)
            assert ours == reference_rows(
                events=events, organisations=organisations, anchored=anchored
            )
    assert len(events) == 360


def test_no_events_draw_no_rows():
    assert audit_rows([]) == ""
