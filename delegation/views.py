"""Partner-side views of delegated administration."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from partnerportal.reauth import recent_sign_in_required
from partnerportal.refusals import Refused
from tenants.models import User
from tenants.selectors import enabled_global_admins, uuid_or_none
from tenants.services import user_roles

from . import services
from .access import agent_level
from .forms import NO, LookupForm, StaffAddForm, StaffEditForm
from .models import AccessLevel, Relationship, Team
from .selectors import (
    customer_lookup_page,
    customer_rows,
    has_agent_access,
    is_partner_admin,
    is_teams_agent,
    lookup_kind,
    lookup_results,
    partner_relationships,
    partner_staff,
)

PAGE_SIZE = 25


def partner_user_or_404(request: HttpRequest) -> User:
    """The signed-in partner user; anyone else finds no such page."""
    user = request.user
    if not isinstance(user, User) or not user.tenant.is_partner:
        raise Http404("No such page.")
    return user


def partner_admin_or_404(request: HttpRequest) -> User:
    """The signed-in partner admin; anyone else finds no such page."""
    user = partner_user_or_404(request)
    if not is_partner_admin(user):
        raise Refused(
            f"Only the partner admins of {user.tenant.name} manage its staff and their access."
        )
    return user


def partner_agent_or_404(request: HttpRequest) -> User:
    """A partner admin, or partner staff with delegated access; anyone else: 404."""
    user = partner_user_or_404(request)
    if not (is_partner_admin(user) or has_agent_access(user)):
        raise Refused(
            "The lookup and the customers are for staff with delegated access, and you have "
            "none. Ask your partner admin to give you Full or Limited administration."
        )
    return user


@login_required
@require_GET
def partner_overview(request: HttpRequest) -> HttpResponse:
    """The partner's home: its customers at a glance and the ways to get more."""
    user = partner_user_or_404(request)
    active = Relationship.objects.effective().filter(partner_id=user.tenant_id)
    context = {
        "partner": user.tenant,
        "active_count": active.count(),
        "is_partner_admin": is_partner_admin(user),
        "has_agent_access": has_agent_access(user),
    }
    return render(request, "delegation/partner_overview.html", context)


@login_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    """The partner's own users and the delegated access each holds (partner admins)."""
    admin = partner_admin_or_404(request)
    page = Paginator(partner_staff(admin.tenant), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "delegation/staff_list.html", {"partner": admin.tenant, "page": page})


def _staff_user_or_404(request: HttpRequest, user_id: Any) -> tuple[User, User]:
    admin = partner_admin_or_404(request)
    return admin, get_object_or_404(partner_staff(admin.tenant), pk=user_id)


@login_required
@require_http_methods(["GET", "POST"])
@recent_sign_in_required(allow_get=True, gate=lambda request: partner_admin_or_404(request))
def staff_add(request: HttpRequest) -> HttpResponse:
    """Add a staff member, who is mailed an invitation to choose its password."""
    admin = partner_admin_or_404(request)
    if request.method == "POST":
        return _staff_add_save(request, admin=admin)
    form = StaffAddForm(initial={"assign": NO}, teams=_offers_teams(admin))
    return _staff_add_render(request, admin, form)


def _offers_teams(admin: User, staff_user: User | None = None) -> bool:
    """Whether the access form offers "Through teams": only where it leads somewhere."""
    if staff_user is not None and agent_level(staff_user) == AccessLevel.TEAMS:
        return True
    return Team.objects.filter(partner_id=admin.tenant_id).exists()


def _staff_add_save(request: HttpRequest, *, admin: User) -> HttpResponse:
    form = StaffAddForm(request.POST, teams=_offers_teams(admin))
    if form.is_valid():
        try:
            user = services.staff_add(
                partner_admin=admin,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                level=form.chosen_level,
            )
        except ValidationError as exc:
            form.add_error("email" if exc.code in ("domain", "taken") else None, exc)
        except PermissionDenied as exc:
            raise Http404("No such page.") from exc
        else:
            messages.success(
                request, f"{user.display_name} added. An invitation went to {user.email}."
            )
            return redirect("delegation:staff")
    return _staff_add_render(request, admin, form, status=400)


def _staff_add_render(
    request: HttpRequest, admin: User, form: StaffAddForm, status: int = 200
) -> HttpResponse:
    domains = admin.tenant.domains.filter(verified=True).order_by("name")
    return render(
        request,
        "delegation/staff_add.html",
        {"partner": admin.tenant, "form": form, "domains": domains},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@recent_sign_in_required(allow_get=True, gate=_staff_user_or_404)
def staff_edit(request: HttpRequest, user_id: Any) -> HttpResponse:
    """Edit one staff member's name and "Assign administrative access to companies you
    support"."""
    admin, staff_user = _staff_user_or_404(request, user_id)
    if request.method == "POST":
        return _staff_edit_save(request, admin=admin, staff_user=staff_user)
    form = StaffEditForm.for_user(
        staff_user, agent_level(staff_user), teams=_offers_teams(admin, staff_user)
    )
    return _staff_edit_render(request, staff_user, form)


def _staff_edit_save(request: HttpRequest, *, admin: User, staff_user: User) -> HttpResponse:
    form = StaffEditForm(request.POST, teams=_offers_teams(admin, staff_user))
    if form.is_valid():
        try:
            services.staff_update(
                partner_admin=admin,
                staff_user=staff_user,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                level=form.chosen_level,
                # The page asks for a recent sign-in before it saves.
                reauthenticated=True,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied as exc:
            raise Http404("No such page.") from exc
        else:
            staff_user.refresh_from_db()
            label = AccessLevel(form.chosen_level).label
            messages.success(request, f"{staff_user.display_name}: {label}.")
            return redirect("delegation:staff")
    return _staff_edit_render(request, staff_user, form, status=400)


def _staff_edit_render(
    request: HttpRequest,
    staff_user: User,
    form: StaffEditForm,
    status: int = 200,
) -> HttpResponse:
    others = enabled_global_admins(staff_user.tenant).exclude(pk=staff_user.pk)
    context = {
        "staff_user": staff_user,
        "form": form,
        "roles": sorted(user_roles(staff_user)),
        # Shown on the admin's own page: may it raise its own access?
        "sole_admin": not others.exists(),
    }
    return render(request, "delegation/staff_edit.html", context, status=status)


@login_required
@recent_sign_in_required(gate=_staff_user_or_404)
def staff_disable(request: HttpRequest, user_id: Any) -> HttpResponse:
    """Disable a staff member: it can no longer sign in, and its sessions end."""
    return _staff_set_enabled(request, user_id, enabled=False)


@login_required
@recent_sign_in_required(gate=_staff_user_or_404)
def staff_enable(request: HttpRequest, user_id: Any) -> HttpResponse:
    """Enable a disabled staff member again."""
    return _staff_set_enabled(request, user_id, enabled=True)


def _staff_set_enabled(request: HttpRequest, user_id: Any, *, enabled: bool) -> HttpResponse:
    admin, staff_user = _staff_user_or_404(request, user_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return _staff_set_enabled_save(request, admin=admin, staff_user=staff_user, enabled=enabled)


def _staff_set_enabled_save(
    request: HttpRequest, *, admin: User, staff_user: User, enabled: bool
) -> HttpResponse:
    try:
        changed = services.staff_set_enabled(
            partner_admin=admin, staff_user=staff_user, enabled=enabled
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("delegation:staff-edit", user_id=staff_user.pk)
    except PermissionDenied as exc:
        raise Http404("No such page.") from exc
    state = "enabled" if enabled else "disabled"
    if changed:
        messages.success(request, f"{staff_user.display_name} is {state}.")
    else:
        messages.info(request, f"{staff_user.display_name} was already {state}.")
    return redirect("delegation:staff")


@login_required
@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """User and domain lookup: find one of the partner's customers."""
    agent = partner_agent_or_404(request)
    form = LookupForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    context: dict[str, Any] = {
        "form": form,
        "query": query,
        "kind": lookup_kind(query),
        "teams_mode": is_teams_agent(agent),
    }
    if query:
        page = customer_lookup_page(
            agent.tenant,
            query,
            after=uuid_or_none(request.GET.get("after")),
            before=uuid_or_none(request.GET.get("before")),
            agent=agent,
        )
        context["page"] = page
        context["results"] = lookup_results(agent, page.tenants)
    return render(request, "delegation/lookup.jinja", context, using="jinja2")


@login_required
@require_GET
def customers(request: HttpRequest) -> HttpResponse:
    """Every relationship of the partner, with its status and end date."""
    agent = partner_agent_or_404(request)
    page = Paginator(partner_relationships(agent.tenant, agent), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "partner": agent.tenant,
        "page": page,
        "rows": customer_rows(agent, page.object_list),
        "teams_mode": is_teams_agent(agent),
    }
    return render(request, "delegation/customers.html", context)
