"""The audit log of a tenant (page and CSV export) and a partner's staff activity."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from delegation.access import Rights, rights, tenant_rights_or_404
from delegation.models import Relationship
from delegation.views import partner_user_or_404
from partnerportal.db import planned_each_run
from tenants.models import Tenant
from tenants.roles import Permission

from .forms import AuditFilterForm
from .models import AuditEvent, AuditEventQuerySet, EventRow

PAGE_SIZE = 50
EXPORT_CHUNK = 2000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class KeysetPage:
    """One page walked by a key (``seq`` or ``id``), newest first, without OFFSET."""

    events: list[EventRow]
    newer: int | None  # pass as ?after= for the newer page
    older: int | None  # pass as ?before= for the older page


def _int_param(request: HttpRequest, name: str) -> int | None:
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def keyset_page(qs: AuditEventQuerySet, request: HttpRequest, key: str) -> KeysetPage:
    """Newest first; ``?before=k`` gives the page below key k, ``?after=k`` the one above."""
    before, after = _int_param(request, "before"), _int_param(request, "after")
    if after is not None and before is None:
        rows = qs.filter(**{f"{key}__gt": after}).order_by(key)[: PAGE_SIZE + 1].rows()
        more_newer = len(rows) > PAGE_SIZE
        events = list(reversed(rows[:PAGE_SIZE]))
        return KeysetPage(
            events,
            newer=getattr(events[0], key) if events and more_newer else None,
            older=getattr(events[-1], key) if events else None,
        )
    if before is not None:
        qs = qs.filter(**{f"{key}__lt": before})
    rows = qs.order_by(f"-{key}")[: PAGE_SIZE + 1].rows()
    events = rows[:PAGE_SIZE]
    return KeysetPage(
        events,
        newer=getattr(events[0], key) if events and before is not None else None,
        older=getattr(events[-1], key) if len(rows) > PAGE_SIZE else None,
    )


def _audit_rights_or_404(request: HttpRequest, tenant_id: Any) -> Rights:
    r = tenant_rights_or_404(request, tenant_id)
    if not r.has(Permission.VIEW_AUDIT):
        raise Http404("No such page.")
    return r


def _filter_form(request: HttpRequest, tenant: Tenant) -> AuditFilterForm:
    partners = list(
        Tenant.objects.filter(
            pk__in=Relationship.objects.filter(customer=tenant).values("partner_id")
        )
        .order_by("name")
        .values_list("pk", "name")
    )
    return AuditFilterForm(request.GET or None, partners=partners)


def _link(items: list[tuple[str, str]], **extra: object) -> str:
    return "?" + urlencode([*items, *[(k, str(v)) for k, v in extra.items()]])


@require_safe
@login_required
def log(request: HttpRequest, tenant_id: Any) -> HttpResponse:
    """Every event in the tenant, newest first, filterable; partner technicians named."""
    r = _audit_rights_or_404(request, tenant_id)
    form = _filter_form(request, r.tenant)
    filters = form.filters()
    # Which index serves a range of dates best depends on the dates: no generic plan.
    dated = filters["since"] is not None or filters["until"] is not None
    with planned_each_run() if dated else nullcontext():
        events = AuditEvent.objects.for_tenant(r.tenant.pk).matching(**filters)
        page = keyset_page(events, request, "seq")
    items = form.query_items()
    context = {
        "rights": r,
        "tenant": r.tenant,
        "form": form,
        "page": page,
        "newer_url": _link(items, after=page.newer) if page.newer else "",
        "older_url": _link(items, before=page.older) if page.older else "",
        "export_query": urlencode(items),
        "filtered": bool(items),
    }
    return render(request, "audit/log.jinja", context, using="jinja2")


def csv_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: formulas are defused with a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


EXPORT_COLUMNS: list[object] = [
    "seq",
    "occurred_at",
    "actor_email",
    "actor_name",
    "actor_organisation",
    "actor_partner_level",
    "actor_teams",
    "relationship_id",
    "action",
    "action_label",
    "target_type",
    "target_id",
    "target",
    "changes",
    "ip_address",
    "user_agent",
    "request_id",
    "hash",
]


def _export_rows(qs: AuditEventQuerySet) -> Iterator[list[object]]:
    yield list(EXPORT_COLUMNS)
    for e in qs.order_by("-seq").iterator(chunk_size=EXPORT_CHUNK):
        yield [
            e.seq,
            e.occurred_at.isoformat(),
            e.actor_email,
            e.actor_name,
            e.actor_tenant_name,
            e.actor_partner_level,
            ", ".join(e.actor_teams),
            e.relationship_id or "",
            e.action,
            e.action_label,
            e.target_type,
            e.target_id,
            e.target_repr,
            json.dumps(e.changes, sort_keys=True, ensure_ascii=False) if e.changes else "",
            e.ip_address or "",
            e.user_agent,
            e.request_id,
            e.hash,
        ]


@require_safe
@login_required
def export(request: HttpRequest, tenant_id: Any) -> StreamingHttpResponse:
    """The filtered events as CSV, streamed row by row from a database cursor."""
    r = _audit_rights_or_404(request, tenant_id)
    form = _filter_form(request, r.tenant)
    qs = form.apply(AuditEvent.objects.for_tenant(r.tenant.pk))
    writer = csv.writer(_Echo())
    stream = (writer.writerow([csv_safe(cell) for cell in row]) for row in _export_rows(qs))
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    name = f"audit-{slugify(r.tenant.name) or 'tenant'}-{timezone.now():%Y%m%d-%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@login_required
def activity(request: HttpRequest) -> HttpResponse:
    """What the partner's staff did in every tenant: its global admins see everyone's,
    anyone else its own."""
    user = partner_user_or_404(request)
    sees_all = rights(user, user.tenant).has(Permission.VIEW_AUDIT)
    qs = AuditEvent.objects.by_staff_of(user.tenant_id)
    if not sees_all:
        qs = qs.filter(actor_id=user.pk)
    page = keyset_page(qs, request, "id")
    organisations = Tenant.objects.in_bulk({e.tenant_id for e in page.events})
    context = {
        "partner": user.tenant,
        "sees_all": sees_all,
        "events": page.events,
        "organisations": organisations,
        "newer_url": _link([], after=page.newer) if page.newer else "",
        "older_url": _link([], before=page.older) if page.older else "",
    }
    return render(request, "audit/activity.jinja", context, using="jinja2")
