"""Partner-side views of delegated administration."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from tenants.models import User

from .models import Relationship


def partner_user_or_404(request: HttpRequest) -> User:
    """The signed-in partner user; anyone else finds no such page."""
    user = request.user
    if not isinstance(user, User) or not user.tenant.is_partner:
        raise Http404("No such page.")
    return user


@require_safe
@login_required
def partner_overview(request: HttpRequest) -> HttpResponse:
    """The partner's home: its customers at a glance and the ways to get more."""
    user = partner_user_or_404(request)
    active = Relationship.objects.effective().filter(partner_id=user.tenant_id)
    return render(
        request,
        "delegation/partner_overview.html",
        {"partner": user.tenant, "active_count": active.count()},
    )
