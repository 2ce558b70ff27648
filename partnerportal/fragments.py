"""Fragments: the long, repeated parts of a page, rendered by Jinja2.

A page of fifty audit events, fifty users or ten lookup cards is mostly the same few
lines of markup over and over. Django's template engine walks its node tree for every
row; Jinja2 compiles a template to Python once and runs it several times faster. The
pages stay Django templates; each includes its fragment with the ``fragment`` tag
(``{% load portal %}{% fragment "audit_rows.jinja" events=page.events %}``).

The fragments live in ``templates/fragments/`` and are autoescaped like every page:
a value is escaped unless it is marked safe (Django's ``SafeString`` is). An undefined
name is an error, never an empty string. The filters are the few the fragments need,
each matching the Django filter it replaces.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any
from uuid import UUID

import jinja2
from django import forms
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from jinja2.runtime import Context

from partnerportal.widgets import SharedChoicesSelect
from tenants.templatetags.portal import has_perm, role_label


def escape(value: Any) -> str:
    """Django's ``conditional_escape``, without its lazy-argument wrapper (a select of
    forty options escapes eighty values): what is marked safe as it is, the rest through
    ``html.escape``, as Django's ``escape`` does."""
    if type(value) is str:  # most values: no checks to make
        return html.escape(value)
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


DIRECTORY = settings.BASE_DIR / "templates" / "fragments"
# The portal speaks English: the month abbreviations of Django's date format "M".
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def in_zone(value: Any, zone: Any) -> Any:
    """``value`` in ``zone`` if it is an aware datetime, else as it is. The zone is read
    once a render (``render_fragment``): Django's ``localtime`` looks it up again for
    every value, which is most of the cost of a row's dates."""
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value.astimezone(zone)
    return value


def moment_text(local: datetime, iso: str = "") -> str:
    """Django's ``date:"j M Y, H:i:s"`` of a datetime already in its zone. ``iso``: its
    ``isoformat()`` where the caller has it: the time is read from that (strftime costs
    twice as much as the whole ``isoformat``)."""
    iso = iso or local.isoformat()
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {iso[11:19]}"


def _local(value: date | datetime, context: Context) -> date | datetime:
    return in_zone(value, context["zone"])  # type: ignore[no-any-return]


@jinja2.pass_context
def day(context: Context, value: date | datetime | None) -> str:
    """Django's ``date:"j M Y"``, in the current time zone: "7 Mar 2026" ("" for None)."""
    if value is None:
        return ""
    return day_text(_local(value, context))


def day_text(local: date | datetime) -> str:
    """Django's ``date:"j M Y"`` of a date, or of a datetime already in its zone."""
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


@jinja2.pass_context
def moment(context: Context, value: datetime | None) -> str:
    """Django's ``date:"j M Y, H:i:s"``, in the current time zone."""
    if value is None:
        return ""
    return moment_text(in_zone(value, context["zone"]))


@jinja2.pass_context
def iso(context: Context, value: datetime) -> str:
    """Django's ``date:"c"``, in the current time zone (a ``<time datetime>``)."""
    return _local(value, context).isoformat()


def truncatechars(value: object, length: int) -> str:
    """Django's ``truncatechars``: at most ``length`` characters, the last an ellipsis."""
    text = str(value)
    return text if len(text) <= length else text[: length - 1] + "…"


def _widget_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


def bs_widget(field: forms.BoundField) -> SafeString:
    """A bound field's widget with Bootstrap classes and ARIA error state."""
    widget = field.field.widget
    classes = [widget.attrs.get("class", ""), _widget_class(widget)]
    attrs: dict[str, Any] = {}
    if field.errors:
        classes.append("is-invalid")
        attrs["aria-invalid"] = "true"
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        described.append(f"{field.auto_id}_errors")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    attrs["class"] = " ".join(c for c in classes if c)
    if type(widget) in PLAIN_SELECTS:
        html = _select(field, widget, attrs)
        if html is not None:
            return html
    if type(widget) in PLAIN_INPUTS:
        return _input(field, widget, attrs)
    return field.as_widget(attrs=attrs)


# Widgets drawn as Django's ``select.html`` draws a ``Select``.
PLAIN_SELECTS = frozenset({forms.Select, SharedChoicesSelect})

# Widgets whose template is Django's ``input.html`` and nothing else.
PLAIN_INPUTS = frozenset(
    {
        forms.TextInput,
        forms.EmailInput,
        forms.URLInput,
        forms.NumberInput,
        forms.PasswordInput,
        forms.HiddenInput,
        forms.DateInput,
        forms.DateTimeInput,
        forms.TimeInput,
        forms.SearchInput,
    }
)


def _input(
    field: forms.BoundField, widget: forms.widgets.Input, attrs: dict[str, Any]
) -> SafeString:
    """A plain input as Django draws it (``BoundField.as_widget`` and ``input.html``),
    without rendering a template."""
    if field.field.localize:
        widget.is_localized = True
    attrs = field.build_widget_attrs(attrs, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    drawn = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    value = drawn["value"]
    shown = "" if value is None else f' value="{escape(value)}"'
    return SafeString(  # nosec B703 - every value is escaped
        f'<input type="{escape(drawn["type"])}" name="{escape(drawn["name"])}"'
        f"{shown}{_attrs_html(drawn['attrs'])}>"
    )


def _attrs_html(attrs: dict[str, Any]) -> str:
    """Django's ``attrs.html``: `` name="value"``, a bare name for True, nothing for False."""
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _select(
    field: forms.BoundField, widget: forms.Select, attrs: dict[str, Any]
) -> SafeString | None:
    """A plain ``Select`` as Django draws it, without a template render per option: an
    audit filter of forty actions is otherwise most of its page's form. ``None`` for
    grouped choices, which Django's own templates draw."""
    choices: list[tuple[Any, Any]] = list(widget.choices)
    if any(isinstance(label, list | tuple) for _, label in choices):
        return None
    attrs = field.build_widget_attrs(attrs, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    final = widget.build_attrs(widget.attrs, attrs)
    chosen = set(widget.format_value(field.value()))
    parts = [f'<select name="{escape(field.html_name)}"{_attrs_html(final)}>']
    has_selected = False
    for value, label in choices:
        text = "" if value is None else str(value)
        selected = not has_selected and text in chosen
        has_selected = has_selected or selected
        option_attrs = {"selected": True} if selected else {}
        if widget.option_inherits_attrs:  # pragma: no cover - False for Select
            option_attrs = {**final, **option_attrs}
        parts.append(
            f'\n  <option value="{escape(text)}"{_attrs_html(option_attrs)}>'
            f"{escape(label)}</option>"
        )
    parts.append("\n</select>")
    return SafeString("".join(parts))  # nosec B703 - every value above is escaped


def is_checkbox(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


def is_multi_choice(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)


@lru_cache(maxsize=1024)
def _path_format(viewname: str, names: tuple[str, ...], prefix: str, urlconf: Any) -> str:
    """The path of ``viewname`` as a format string, ``{0}``, ``{1}``... where the
    arguments ``names`` go. ``prefix`` (the script prefix, which reverse() prepends) and
    ``urlconf`` are part of the cache key."""
    stand_ins = [str(UUID(int=n)) for n in range(1, len(names) + 1)]
    path = reverse(viewname, kwargs=dict(zip(names, stand_ins, strict=True)), urlconf=urlconf)
    path = path.replace("{", "{{").replace("}", "}}")
    for n, stand_in in enumerate(stand_ins):
        path = path.replace(stand_in, f"{{{n}}}")
    return path


def _format_for(viewname: str, names: tuple[str, ...]) -> str:
    return _path_format(viewname, names, get_script_prefix(), get_urlconf())


def url(viewname: str, **kwargs: Any) -> str:
    """``reverse(viewname, kwargs=kwargs)``. Where every argument is a UUID (a tenant's,
    a user's), the path is reversed once a process, with stand-ins, and filled in."""
    if not kwargs or not all(isinstance(v, UUID) for v in kwargs.values()):
        return reverse(viewname, kwargs=kwargs)
    return _format_for(viewname, tuple(kwargs)).format(*kwargs.values())


def link_maker(viewname: str, varying: str, **fixed: UUID) -> Callable[[UUID], str]:
    """``make(value)`` gives ``url(viewname, **fixed, **{varying: value})``, for the links
    of a list, which differ in one id: the path is looked up once for the list. UUID
    arguments only."""
    if not all(isinstance(v, UUID) for v in fixed.values()):
        raise TypeError("link_maker takes UUID arguments only.")
    path = _format_for(viewname, (*fixed, varying))
    values = [str(v) for v in fixed.values()]

    def make(value: UUID) -> str:
        return path.format(*values, value)

    return make


def view_linker(varying: str) -> Callable[[str, UUID], str]:
    """``make(viewname, value)`` gives ``url(viewname, **{varying: value})``, for links to
    several views that take the same one id (a menu): the script prefix and the URLconf
    are read once, not for each link. UUID arguments only."""
    prefix, urlconf = get_script_prefix(), get_urlconf()

    def make(viewname: str, value: UUID) -> str:
        if not isinstance(value, UUID):
            raise TypeError("view_linker takes UUID arguments only.")
        return _path_format(viewname, (varying,), prefix, urlconf).format(value)

    return make


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(DIRECTORY),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=settings.DEBUG,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        bs_widget=bs_widget,
        is_checkbox=is_checkbox,
        is_multi_choice=is_multi_choice,
        day=day,
        moment=moment,
        iso=iso,
        truncatechars=truncatechars,
        role_label=role_label,
        has_perm=has_perm,
    )
    env.globals.update(url=url, link_maker=link_maker, dash="—")
    return env


def render_fragment(name: str, **context: Any) -> SafeString:
    """The fragment ``name`` (a path under ``templates/fragments/``) rendered with ``context``.

    Jinja2 escapes quotes as ``&#39;`` and ``&#34;``, Django as ``&#x27;`` and ``&quot;``:
    the same characters, written here as Django writes them, so a page reads alike
    throughout.
    """
    context.setdefault("zone", timezone.get_current_timezone())
    html = environment().get_template(name).render(context)
    # Autoescaped by Jinja2: safe as it stands.
    return SafeString(html.replace("&#39;", "&#x27;").replace("&#34;", "&quot;"))  # nosec B703
