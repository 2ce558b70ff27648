"""Offer pages: the partner's list, form and offer text; the customer's consent page."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from delegation.views import partner_user_or_404
from partnerportal.ratelimit import ratelimit
from partnerportal.reauth import recent_sign_in_required
from tenants.models import User
from tenants.selectors import is_partner_admin
from tenants.text import possessive

from . import services
from .forms import OfferCreateForm, OfferSendForm
from .models import Offer, OfferStatus
from .selectors import (
    TOKEN_RE,
    answer_refusal,
    last_decline,
    offer_by_token,
    offer_text,
    offers_of_partner,
    partner_verified_domain,
    relationship_change,
    relationship_seen,
    role_infos,
)


def _partner_offer_or_404(request: HttpRequest, offer_id: Any) -> tuple[User, Offer]:
    user = partner_user_or_404(request)
    return user, get_object_or_404(
        offers_of_partner(user.tenant).select_related("partner"), pk=offer_id
    )


@require_safe
@login_required
def offer_list(request: HttpRequest) -> HttpResponse:
    """Every offer of the partner: who made it, what it asks, how often it was used."""
    user = partner_user_or_404(request)
    return render(
        request,
        "offers/list.html",
        {
            "partner": user.tenant,
            "offers": offers_of_partner(user.tenant),
            "is_admin": is_partner_admin(user),
        },
    )


@login_required
@recent_sign_in_required(allow_get=True, gate=partner_user_or_404)
def offer_create(request: HttpRequest) -> HttpResponse:
    user = partner_user_or_404(request)
    if not is_partner_admin(user):
        # The page is no secret to partner staff: say who can use it.
        return render(request, "offers/admins_only.html", {"partner": user.tenant}, status=403)
    form = OfferCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            offer = services.offer_create(
                acting_user=user,
                preset=data["preset"],
                roles=data["roles"],
                duration_days=data["duration_days"],
                expires_at=form.expires_at(),
                max_uses=data["max_uses"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Offer created. Copy the text below, or email it.")
            return redirect("offers:detail", offer_id=offer.pk)
    return render(request, "offers/create.html", {"form": form, "partner": user.tenant})


@login_required
@recent_sign_in_required(allow_get=True, gate=_partner_offer_or_404)
def offer_detail(request: HttpRequest, offer_id: Any) -> HttpResponse:
    """The offer text to copy, and (for admins) a form to email it."""
    user, offer = _partner_offer_or_404(request, offer_id)
    is_admin = is_partner_admin(user)
    send_form = OfferSendForm(request.POST or None) if is_admin else None
    if request.method == "POST":
        if send_form is None:
            raise Http404("No such page.")
        if send_form.is_valid():
            try:
                rows = services.offer_send(
                    offer=offer,
                    acting_user=user,
                    recipients=send_form.cleaned_data["recipients"],
                    send_id=str(send_form.cleaned_data["send_id"]),
                )
            except ValidationError as exc:
                send_form.add_error("recipients", exc)
            except services.OfferError as exc:
                send_form.add_error(None, exc.message)
            else:
                if rows:
                    messages.success(
                        request, "The offer is on its way to " + ", ".join(r.to for r in rows) + "."
                    )
                else:
                    messages.info(request, "This offer was already sent to these addresses.")
                return redirect("offers:detail", offer_id=offer.pk)
    return render(
        request,
        "offers/detail.html",
        {
            "offer": offer,
            "offer_text": offer_text(offer),
            "roles": role_infos(offer.roles),
            "is_admin": is_admin,
            "send_form": send_form,
        },
    )


@require_POST
@login_required
def offer_revoke(request: HttpRequest, offer_id: Any) -> HttpResponse:
    user, offer = _partner_offer_or_404(request, offer_id)
    if not is_partner_admin(user):
        raise Http404("No such page.")
    services.offer_revoke(offer=offer, acting_user=user)
    messages.success(request, "The offer is revoked: its link no longer works.")
    return redirect("offers:list")


# --- the public link ---------------------------------------------------------------------


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "offers/invalid.html", status=404)


def _unavailable(request: HttpRequest, offer: Offer, status: str) -> HttpResponse:
    context = {"offer": offer, "partner": offer.partner, "status": status}
    return render(request, "offers/unavailable.html", context, status=410)


def _not_allowed(request: HttpRequest, offer: Offer) -> HttpResponse:
    refusal = answer_refusal(request.user, offer.partner)
    context = {"offer": offer, "partner": offer.partner, "refusal": refusal}
    return render(request, "offers/not_allowed.html", context, status=403)


# Answering needs a recent sign-in; otherwise the password is asked again.
answer_requires_recent_sign_in = recent_sign_in_required(allow_get=True)


def token_shape_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A token that cannot be one gets the "not valid" page before any sign-in is asked
    for: signing in would only lead back to the same dead link."""

    @wraps(view)
    def wrapped(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not TOKEN_RE.match(token or ""):
            return _invalid(request)
        return view(request, token, *args, **kwargs)

    return wrapped


@require_safe
@ratelimit(key="ip", rate="OFFER_LINK_RATE_LIMIT")
def offer_public(request: HttpRequest, token: str) -> HttpResponse:
    """The consent page: who asks, for what, until when. Never changes anything."""
    offer = offer_by_token(token)
    if offer is None:
        return _invalid(request)
    status = offer.current_status
    if status != OfferStatus.ACTIVE:
        return _unavailable(request, offer, status)
    user = request.user
    context: dict[str, Any] = {
        "offer": offer,
        "partner": offer.partner,
        "partner_domain": partner_verified_domain(offer.partner),
        "roles": role_infos(offer.roles),
        "ends": timezone.now() + offer.relationship_duration,
    }
    if not isinstance(user, User):
        next_q = "?" + urlencode({"next": request.get_full_path()})
        context["login_url"] = reverse("account_login") + next_q
        context["signup_url"] = reverse("account_signup") + next_q
        return render(request, "offers/public_anonymous.html", context)
    if answer_refusal(user, offer.partner) is not None:
        return _not_allowed(request, offer)
    context["customer"] = user.tenant
    context["change"] = relationship_change(offer, user.tenant)
    context["seen"] = relationship_seen(
        context["change"].relationship if context["change"] else None
    )
    context["declined"] = last_decline(offer, user.tenant)
    return render(request, "offers/public.html", context)


def _answer(request: HttpRequest, token: str) -> tuple[Offer, User] | HttpResponse:
    """The offer and the user who may answer it (POST), or the page to show instead."""
    offer = offer_by_token(token)
    if offer is None:
        return _invalid(request)
    if request.method == "GET":
        return redirect(offer.get_public_path())
    user = request.user
    if not isinstance(user, User) or answer_refusal(user, offer.partner):
        return _not_allowed(request, offer)
    return offer, user


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate="OFFER_ANSWER_RATE_LIMIT")
@token_shape_required
@answer_requires_recent_sign_in
def offer_accept(request: HttpRequest, token: str) -> HttpResponse:
    answer = _answer(request, token)
    if isinstance(answer, HttpResponse):
        return answer
    offer, user = answer
    try:
        acceptance = services.offer_accept(
            offer=offer, acting_user=user, seen=request.POST.get("seen")
        )
    except services.OfferError as exc:
        if exc.code == services.OfferErrorCode.NOT_ALLOWED:
            return _not_allowed(request, offer)
        if exc.code == services.OfferErrorCode.CHANGED:
            messages.warning(request, exc.message)
            return redirect(offer.get_public_path())
        return _unavailable(request, offer, exc.code.value)
    relationship = acceptance.relationship
    partner = offer.partner.name
    until = date_format(timezone.localtime(relationship.expires))
    if acceptance.outcome == services.AcceptOutcome.CREATED:
        messages.success(
            request, f"You accepted {possessive(partner)} offer. Its access ends on {until}."
        )
    elif acceptance.outcome == services.AcceptOutcome.UPDATED:
        messages.success(
            request, f"{possessive(partner)} access is changed. It now ends on {until}."
        )
    elif relationship.offer_id == offer.pk and relationship.accepted_by_id == user.pk:
        when = date_format(timezone.localtime(relationship.accepted_at), "DATETIME_FORMAT")
        messages.info(
            request,
            f"You accepted this offer on {when}; its access ends on {until}. "
            "Nothing more was changed.",
        )
    else:
        messages.info(
            request,
            f"Your organisation already has an active relationship with {partner} "
            f"(until {until}); nothing was changed.",
        )
    return redirect("tenants:admin-center", tenant_id=user.tenant_id)


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate="OFFER_ANSWER_RATE_LIMIT")
@token_shape_required
@answer_requires_recent_sign_in
def offer_decline(request: HttpRequest, token: str) -> HttpResponse:
    answer = _answer(request, token)
    if isinstance(answer, HttpResponse):
        return answer
    offer, user = answer
    try:
        services.offer_decline(offer=offer, acting_user=user)
    except services.OfferError as exc:
        if exc.code == services.OfferErrorCode.NOT_ALLOWED:
            return _not_allowed(request, offer)
        return _unavailable(request, offer, exc.code.value)
    kept = "; your existing relationship with it is unchanged."
    rest = kept if relationship_change(offer, user.tenant) else "."
    partner = possessive(offer.partner.name)
    messages.info(request, f"You declined {partner} offer. Nothing was granted{rest}")
    return redirect("tenants:admin-center", tenant_id=user.tenant_id)
