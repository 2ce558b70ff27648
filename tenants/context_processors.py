"""Template context every page needs: who is signed in, and which navigation fits it."""

from typing import Any

from django.http import HttpRequest

from .models import User


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {"portal_user": None}
    from .selectors import landing_url
    from .services import user_roles

    return {
        "portal_user": user,
        "portal_tenant": user.tenant,
        "portal_is_partner": user.tenant.is_partner,
        "portal_is_tenant_admin": bool(user_roles(user)),
        "portal_home_url": landing_url(user),
    }
