"""The admin center's Security page: whether the tenant requires MFA of its administrators."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from delegation.access import Rights, tenant_rights_or_404
from partnerportal.reauth import recent_sign_in_required
from tenants.models import User
from tenants.roles import Permission

from .security import tenant_set_require_admin_mfa


class TenantSecurityForm(forms.Form):
    require_admin_mfa = forms.BooleanField(
        label="Require two-factor authentication of administrators",
        required=False,
        help_text=(
            "Everyone in your organisation who holds an administrator role must set up an "
            "authenticator app or a security key before using the admin center."
        ),
    )


def _settings_rights_or_404(request: HttpRequest, tenant_id: str) -> tuple[Rights, User]:
    """Whoever may change the settings, with its rights; anyone else finds no such page."""
    rights = tenant_rights_or_404(request, tenant_id)
    user = request.user
    if not rights.has(Permission.MANAGE_SETTINGS) or not isinstance(user, User):
        raise Http404("No such page.")
    return rights, user


@login_required
@require_http_methods(["GET", "POST"])
@recent_sign_in_required(allow_get=True, explicit=True, gate=_settings_rights_or_404)
def security_settings(request: HttpRequest, tenant_id: str) -> HttpResponse:
    """Show the tenant's security settings; a global admin at home may change them (POST)."""
    rights, user = _settings_rights_or_404(request, tenant_id)
    tenant = rights.tenant
    # An unticked checkbox posts nothing: a POST is bound even when empty.
    form = TenantSecurityForm(
        request.POST if request.method == "POST" else None,
        initial={"require_admin_mfa": tenant.require_admin_mfa},
    )
    if request.method == "POST" and form.is_valid():
        require = form.cleaned_data["require_admin_mfa"]
        try:
            tenant_set_require_admin_mfa(tenant=tenant, acting_user=user, require=require)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                "Administrators must now use two-factor authentication."
                if require
                else "Two-factor authentication is no longer required of administrators.",
            )
        return redirect("tenants:security", tenant_id=tenant.pk)
    context = {"rights": rights, "tenant": tenant, "form": form}
    return render(request, "tenants/security.html", context)
