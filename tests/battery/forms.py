"""What the bad-input battery needs to read a page's forms and judge the answers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.apps import apps


@dataclass
class Field:
    name: str
    kind: str  # input type, "select" or "textarea"
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    method: str
    action: str  # a path, resolved against the page's
    fields: dict[str, Field] = field(default_factory=dict)


class FormParser(HTMLParser):
    """Every form of a page: its method, its action and its fields (except CSRF)."""

    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path = page_path
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            action = urlsplit(urljoin(self.page_path, a.get("action") or self.page_path)).path
            self._form = Form(method=(a.get("method") or "get").upper(), action=action)
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "option" and self._select is not None:
            self._select.options.append(a.get("value") or "")
            return
        if tag not in {"input", "select", "textarea"} or not name or name == "csrfmiddlewaretoken":
            return
        kind = tag if tag != "input" else (a.get("type") or "text").lower()
        if kind in {"submit", "button", "reset", "image", "file"}:
            return
        found = self._form.fields.setdefault(name, Field(name=name, kind=kind))
        if kind in {"radio", "checkbox", "hidden"} and a.get("value") is not None:
            value = a.get("value") or ""
            if value not in found.options:
                found.options.append(value)
        if tag == "select":
            self._select = found

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def page_forms(html: str, page_path: str) -> list[Form]:
    parser = FormParser(page_path)
    parser.feed(html)
    return parser.forms


def form_for(html: str, page_path: str, *, method: str, action: str) -> Form:
    """The fields of every ``method`` form of the page that submits to ``action``, merged
    (a page may carry several small forms to one URL, such as a role's remove buttons)."""
    merged = Form(method=method, action=action)
    matches = [f for f in page_forms(html, page_path) if f.method == method and f.action == action]
    assert matches, f"no {method} form submitting to {action} on {page_path}"
    for form in matches:
        for name, fld in form.fields.items():
            into = merged.fields.setdefault(name, Field(name=name, kind=fld.kind))
            into.options.extend(o for o in fld.options if o not in into.options)
    return merged


def row_counts() -> dict[str, int]:
    """How many rows each model of the portal's apps (and allauth's accounts) holds."""
    counts = {}
    for label in ("tenants", "offers", "delegation", "audit", "account", "mfa"):
        for model in apps.get_app_config(label).get_models():
            counts[model._meta.label] = model._default_manager.count()
    return counts


MESSAGE_MARKERS = re.compile(
    r'invalid-feedback|alert-danger|alert-warning|errorlist|role="alert"', re.IGNORECASE
)
ANY_MESSAGE = re.compile(r'class="alert |role="alert"', re.IGNORECASE)
