"""Views of the directory: the landing redirect, the profile page and the admin center."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from delegation.access import tenant_rights_or_404
from tenants.roles import Permission

from .models import RoleAssignment, User
from .selectors import landing_url


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in user where its work is, anyone else to sign in."""
    if isinstance(request.user, User):
        return redirect(landing_url(request.user))
    return redirect("account_login")


@require_safe
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User):  # login_required has let only users through
        return redirect("account_login")
    roles = RoleAssignment.objects.filter(user=user)
    return render(request, "tenants/profile.html", {"roles": roles})


@require_safe
@login_required
def admin_center(request: HttpRequest, tenant_id: str) -> HttpResponse:
    """The admin center's overview of one tenant."""
    rights = tenant_rights_or_404(request, tenant_id)
    tenant = rights.tenant
    context = {
        "rights": rights,
        "tenant": tenant,
        "domains": tenant.domains.all(),
        "subscriptions": tenant.subscriptions.all() if rights.has(Permission.VIEW_BILLING) else [],
        "user_count": tenant.users.count(),
        "P": Permission,
    }
    return render(request, "tenants/admin_center.html", context)
