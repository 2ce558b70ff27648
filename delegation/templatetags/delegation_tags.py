"""Template filters for the partner's navigation."""

from django import template

from delegation import selectors

register = template.Library()


@register.filter
def is_partner_admin(user: object) -> bool:
    return selectors.is_partner_admin(user)


@register.filter
def has_agent_access(user: object) -> bool:
    return selectors.has_agent_access(user)
