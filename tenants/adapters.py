"""The allauth adapters: sign-up creates a customer tenant, mail goes to the outbox, and
MFA secrets are stored encrypted."""

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from partnerportal.clientip import client_ip
from partnerportal.reauth import signed_in_recently

from . import mfa_secrets
from .mail import outbox_write
from .models import RoleAssignment, TenantKind, User
from .roles import Role
from .selectors import landing_url
from .services import tenant_create


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        """Create the customer tenant, the user and its global admin role together."""
        data = form.cleaned_data
        with transaction.atomic():
            # The domain starts unverified: it blocks no one, and whoever proves it by DNS
            # first takes it over.
            tenant = tenant_create(
                kind=TenantKind.CUSTOMER,
                name=data["organisation"],
                domain=data["domain"],
                contact_email=data["email"],
            )
            user.tenant = tenant
            user = super().save_user(request, user, form, commit=True)
            RoleAssignment.objects.create(user=user, role=Role.GLOBAL_ADMIN)
        return user

    def get_client_ip(self, request: HttpRequest) -> str:
        """The client behind our proxies (partnerportal/clientip.py), for allauth's rate
        limits and sessions, instead of allauth's own reading of X-Forwarded-For."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """allauth's MFA pages (adding or removing an authenticator, new recovery codes)
        follow the portal's rule: a sign-in within ``ACCOUNT_REAUTHENTICATION_TIMEOUT``
        counts as recent, not only an explicit re-authentication. Other apps, and the
        portal's explicit guard (``app=""``), keep allauth's answer."""
        required = super().is_reauthentication_required(app=app, **kwargs)
        if required and app == "allauth.mfa" and self.request is not None:
            return not signed_in_recently(self.request)
        return required

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        user = request.user
        if isinstance(user, User):
            return landing_url(user)
        return super().get_login_redirect_url(request)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Render allauth's message as usual, but write it to the outbox."""
        site = SimpleNamespace(
            name="Partner Portal", domain=urlsplit(settings.PORTAL_BASE_URL).netloc
        )
        context = {"email": email, "current_site": site, **context}
        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []) or []:
            if mimetype == "text/html":
                html = str(content)
        body = str(message.body)
        if getattr(message, "content_subtype", "plain") == "html":
            html, body = body, ""
        outbox_write(
            to=message.to,
            subject=str(message.subject),
            body_text=body,
            body_html=html,
            kind=template_prefix.rsplit("/", 1)[-1],
        )


class MFAAdapter(DefaultMFAAdapter):
    """Keeps the TOTP secret and the recovery codes' seed encrypted in the database."""

    def encrypt(self, text: str) -> str:
        return mfa_secrets.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return mfa_secrets.decrypt(encrypted_text)
