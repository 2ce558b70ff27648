"""The Jinja2 environment of the pages with many rows (docs/decisions/0002-templates.md);
the filters are Django's own."""

from __future__ import annotations

from typing import Any

import jinja2
from django.template import defaultfilters
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.dates import MONTHS_3
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs

from delegation.templatetags.delegation_tags import has_agent_access, is_partner_admin
from tenants.templatetags.portal import has_perm, possessive_filter, role_label


def url(viewname: str, *args: Any, **kwargs: Any) -> str:
    """``{{ url("tenants:users", tenant_id=tenant.pk) }}``: Django's ``{% url %}``."""
    return reverse(viewname, args=args or None, kwargs=kwargs or None)


def field(bound_field: Any) -> str:
    """``{{ field(form.q) }}``: a form's field drawn by ``includes/field.html``."""
    return render_to_string("includes/field.html", {"field": bound_field})


def day(value: Any) -> str:
    """A date as the portal shows one (``DATE_FORMAT``: "7 Mar 2026"), in the current
    time zone."""
    return defaultfilters.date(template_localtime(value))


def moment(value: Any) -> str:
    """A moment to the second, as the audit log shows one: "7 Mar 2026, 14:03:09 UTC",
    ``DATE_FORMAT`` and the time with its zone in the current time zone (Django's
    "j M Y, H:i:s T", written directly: the log shows fifty a page)."""
    if value is None:
        return ""
    local = template_localtime(value)
    return f"{local.day} {MONTHS_3[local.month].title()} {local:%Y, %H:%M:%S} {local.tzname()}"


def iso(value: Any) -> str:
    """A moment for ``<time datetime>``, in the current time zone."""
    return template_localtime(value).isoformat()  # what Django's "c" format writes


def environment(**options: Any) -> jinja2.Environment:
    # Always escaped; a misspelt name is an error, not an empty string.
    options.pop("autoescape", None)
    options["undefined"] = jinja2.StrictUndefined
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, **options)
    env.globals.update(url=url, static=static, field=field, dash="—")
    env.filters.update(
        day=day,
        moment=moment,
        iso=iso,
        urlencode=defaultfilters.urlencode,
        truncatechars=defaultfilters.truncatechars,
        role_label=role_label,
        has_perm=has_perm,
        possessive=possessive_filter,
        is_partner_admin=is_partner_admin,
        has_agent_access=has_agent_access,
    )
    return env
