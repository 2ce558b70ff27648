"""Template helpers shared by every page."""

from functools import cache
from typing import Any

from django import template

register = template.Library()


@register.filter(name="possessive")
def possessive_filter(value: object) -> str:
    from tenants.text import possessive

    return possessive(str(value))


@register.filter
def role_label(value: str) -> str:
    """A role's label by its code; an unknown code as it is."""
    return _role_labels().get(value, value)


@cache
def _role_labels() -> dict[str, str]:
    """Each role's label by its code, without an enum lookup per row."""
    from tenants.roles import Role

    return {code: str(label) for code, label in Role.choices}


@register.filter
def has_perm(rights: Any, permission: str) -> bool:
    """``{% if rights|has_perm:"users.manage" %}``; an unknown code raises, so a typo
    cannot hide a link. No rights (None, or a missing variable) permit nothing."""
    from tenants.roles import Permission

    return Permission(permission) in getattr(rights, "permissions", ())
