"""Send a user whose password an administrator has reset to the change-password page."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .models import User

# Pages a user must still reach before choosing its own password.
ALLOWED_URL_NAMES = (
    "account_change_password",
    "account_logout",
    "account_reauthenticate",
    "mfa_reauthenticate",
)


class MustChangePasswordMiddleware:
    """Until a user flagged ``must_change_password`` has changed its password, every page
    but the change-password page (and signing out, and static files) redirects there."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            isinstance(user, User)
            and user.must_change_password
            and not self._allowed(request.path_info)
        ):
            return redirect("account_change_password")
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        return path.startswith(str(settings.STATIC_URL)) or any(
            path == reverse(name) for name in ALLOWED_URL_NAMES
        )
