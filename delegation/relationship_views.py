"""Partner relationships as the customer sees them (list, remove, renew), and the
partner admin's way to end one from its side."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_safe

from partnerportal.reauth import recent_sign_in_required
from tenants.roles import Permission

from .access import Rights, tenant_rights_or_404
from .models import Relationship
from .relationships import (
    REASON_MAX_LENGTH,
    is_admin_of_partner,
    relationship_renew,
    relationship_terminate,
)
from .views import partner_user_or_404


class EndRelationshipForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent to the partner and kept in the audit log.",
    )


def _customer_rights_or_404(request: HttpRequest, tenant_id: Any) -> Rights:
    """Only the customer's own global admins; for anyone else, agents too, a 404."""
    rights = tenant_rights_or_404(request, tenant_id)
    if not rights.tenant.is_customer or not rights.has(Permission.MANAGE_PARTNERS):
        raise Http404("No such page.")
    return rights


def _relationship_or_404(rights: Rights, relationship_id: Any) -> Relationship:
    return get_object_or_404(
        Relationship.objects.select_related(
            "partner", "customer", "accepted_by", "offer", "terminated_by"
        ),
        pk=relationship_id,
        customer=rights.tenant,
    )


@require_safe
@login_required
def relationships(request: HttpRequest, tenant_id: Any) -> HttpResponse:
    """Every partner relationship of the customer: current ones first, then history."""
    rights = _customer_rights_or_404(request, tenant_id)
    rows = list(
        Relationship.objects.filter(customer=rights.tenant)
        .select_related("partner", "accepted_by", "offer", "terminated_by")
        .order_by("-created")
    )
    now = timezone.now()
    current = [r for r in rows if r.is_effective(now)]
    history = [r for r in rows if not r.is_effective(now)]
    context = {"rights": rights, "tenant": rights.tenant, "current": current, "history": history}
    return render(request, "delegation/relationships.html", context)


def _customer_relationship_or_404(
    request: HttpRequest, tenant_id: Any, relationship_id: Any
) -> Relationship:
    """A gate for the customer's acts on a relationship: a 404 for anyone else."""
    return _relationship_or_404(_customer_rights_or_404(request, tenant_id), relationship_id)


def _partner_admin_gate(request: HttpRequest, relationship_id: Any) -> None:
    """A gate for the partner's side: a 404 for anyone but a partner admin."""
    user = partner_user_or_404(request)
    if not is_admin_of_partner(user, user.tenant):
        raise Http404("No such page.")


@login_required
@require_http_methods(["GET", "POST"])
@recent_sign_in_required(gate=_customer_relationship_or_404)
def relationship_remove(request: HttpRequest, tenant_id: Any, relationship_id: Any) -> HttpResponse:
    rights = _customer_rights_or_404(request, tenant_id)
    rel = _relationship_or_404(rights, relationship_id)
    return _terminate(
        request,
        rel,
        back=redirect("delegation:relationships", tenant_id=rights.tenant.pk),
        done=f"{rel.partner.name} no longer has delegated access to {rel.customer.name}.",
        template="delegation/relationships_remove.html",
        context={"rights": rights, "tenant": rights.tenant},
    )


def _terminate(
    request: HttpRequest,
    rel: Relationship,
    *,
    back: HttpResponse,
    done: str,
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """Ask for a reason (GET), or end the relationship with it (POST) and go ``back``."""
    form = EndRelationshipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            relationship_terminate(
                relationship=rel,
                acting_user=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return back
        except PermissionDenied as exc:
            raise Http404("No such relationship.") from exc
        messages.success(request, done)
        return back
    context |= {"relationship": rel, "form": form, "active": rel.is_effective()}
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
@recent_sign_in_required(gate=_customer_relationship_or_404)
def relationship_renew_view(
    request: HttpRequest, tenant_id: Any, relationship_id: Any
) -> HttpResponse:
    rights = _customer_rights_or_404(request, tenant_id)
    return _renew(request, rights, _relationship_or_404(rights, relationship_id))


def _renew(request: HttpRequest, rights: Rights, rel: Relationship) -> HttpResponse:
    back = redirect("delegation:relationships", tenant_id=rights.tenant.pk)
    if request.method == "POST":
        try:
            renewed = relationship_renew(relationship=rel, acting_user=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return back
        except PermissionDenied as exc:
            raise Http404("No such relationship.") from exc
        messages.success(
            request,
            f"Renewed: {renewed.partner.name} keeps its access until "
            f"{date_format(timezone.localtime(renewed.expires))}.",
        )
        return back
    context = {
        "rights": rights,
        "tenant": rights.tenant,
        "relationship": rel,
        "new_expires": timezone.now() + timedelta(days=rel.duration_days),
        "renewable": rel.is_effective(),
    }
    return render(request, "delegation/relationships_renew.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@recent_sign_in_required(gate=_partner_admin_gate)
def customer_relationship_end(request: HttpRequest, relationship_id: Any) -> HttpResponse:
    """A partner admin ends a relationship from the partner's side."""
    user = partner_user_or_404(request)
    if not is_admin_of_partner(user, user.tenant):
        raise Http404("No such page.")
    rel = get_object_or_404(
        Relationship.objects.select_related("partner", "customer", "accepted_by", "offer"),
        pk=relationship_id,
        partner_id=user.tenant_id,
    )
    return _terminate(
        request,
        rel,
        back=redirect("delegation:partner-overview"),
        done=f"The relationship with {rel.customer.name} has ended; its admins are told.",
        template="delegation/relationships_end.html",
        context={},
    )
