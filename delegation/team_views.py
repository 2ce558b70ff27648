"""Partner-side pages of technician teams: teams, their members, the roles they hold in
customers, and customer groups. Only partner admins see them; every write goes through
``delegation.teams`` after a recent sign-in, and answers with a redirect and a message."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from partnerportal.reauth import recent_sign_in_required
from tenants.models import Tenant, User
from tenants.roles import Role
from tenants.selectors import uuid_or_none

from . import teams
from .models import AccessAssignment, CustomerGroup, Relationship, Team, TeamMembership
from .team_forms import (
    DEFAULT,
    AssignmentForm,
    BulkAssignmentForm,
    CustomerGroupForm,
    CustomerSearchForm,
    MemberAddForm,
    TeamForm,
)
from .views import partner_admin_or_404

PAGE_SIZE = 50  # customers or assignments a page lists, and customers the "Where" offers

# --- Lookups of the admin's own rows ---------------------------------------------------


def _admin_gate(request: HttpRequest, **kwargs: Any) -> None:
    """Whoever may not act at all finds no such page (before any re-authentication)."""
    partner_admin_or_404(request)


def _team_or_404(request: HttpRequest, team_id: Any) -> tuple[User, Team]:
    admin = partner_admin_or_404(request)
    return admin, get_object_or_404(Team, pk=team_id, partner_id=admin.tenant_id)


def _team_gate(request: HttpRequest, team_id: Any) -> None:
    _team_or_404(request, team_id)


def _group_or_404(request: HttpRequest, group_id: Any) -> tuple[User, CustomerGroup]:
    admin = partner_admin_or_404(request)
    return admin, get_object_or_404(CustomerGroup, pk=group_id, partner_id=admin.tenant_id)


def _group_gate(request: HttpRequest, group_id: Any) -> None:
    _group_or_404(request, group_id)


def _staff(admin: User) -> QuerySet[User]:
    return User.objects.filter(tenant_id=admin.tenant_id).order_by("first_name", "email")


def _effective_relationships(admin: User) -> QuerySet[Relationship]:
    return (
        Relationship.objects.effective()
        .filter(partner_id=admin.tenant_id)
        .select_related("customer")
        .order_by("customer__name", "pk")
    )


def _customers(admin: User) -> QuerySet[Tenant]:
    """The partner's customers, now or before: what a customer group may hold."""
    served = Relationship.objects.filter(partner_id=admin.tenant_id).values("customer_id")
    return Tenant.objects.filter(pk__in=served).order_by("name", "pk")


def _search(request: HttpRequest) -> CustomerSearchForm:
    """The page's "customer name contains" box, from ``?q=`` (kept on a POST's address)."""
    form = CustomerSearchForm(request.GET)
    form.is_valid()
    return form


def _groups(admin: User) -> QuerySet[CustomerGroup]:
    return CustomerGroup.objects.filter(partner_id=admin.tenant_id).order_by("name")


def _form_error(
    form: Any,
    exc: ValidationError,
    field: str | None = None,
    codes: tuple[str | None, ...] = ("name", "taken"),
) -> None:
    """Show a service's refusal on ``form``: on ``field`` when its code is one of ``codes``."""
    if hasattr(exc, "error_dict"):
        form.add_error(None, ValidationError(exc.messages))
    else:
        form.add_error(field if getattr(exc, "code", None) in codes else None, exc)


def _role_labels(codes: list[str]) -> str:
    return ", ".join(str(Role(c).label) for c in codes if c in Role.values)


# --- Teams -----------------------------------------------------------------------------


@login_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    """The partner's teams, their members and what they hold; its customer groups."""
    admin = partner_admin_or_404(request)
    rows = (
        Team.objects.filter(partner_id=admin.tenant_id)
        .annotate(
            customer_count=Count("assignments", filter=Q(assignments__relationship__isnull=False))
        )
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=TeamMembership.objects.select_related("user").order_by(
                    "user__first_name", "user__email"
                ),
            ),
            Prefetch(
                "assignments",
                queryset=AccessAssignment.objects.filter(relationship__isnull=True),
                to_attr="defaults",
            ),
        )
        .order_by("name")
    )
    summaries = [
        {
            "team": team,
            "members": [m.user for m in team.memberships.all()],
            "default": team.defaults[0] if team.defaults else None,
            "customer_count": team.customer_count,
        }
        for team in rows
    ]
    context = {"partner": admin.tenant, "summaries": summaries, "groups": _groups(admin)}
    return render(request, "delegation/teams/team_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@recent_sign_in_required(allow_get=True, gate=_admin_gate)
def team_create(request: HttpRequest) -> HttpResponse:
    """A new team: a name and what it does."""
    admin = partner_admin_or_404(request)
    form = TeamForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            team = teams.team_create(
                partner_admin=admin,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            _form_error(form, exc, "name")
        except PermissionDenied as exc:
            raise Http404("No such page.") from exc
        else:
            messages.success(request, f"Team {team.name} created. Now add its members.")
            return redirect("delegation:team-detail", team_id=team.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "delegation/teams/team_form.html",
        {"partner": admin.tenant, "form": form, "team": None},
        status=status,
    )


@login_required
@require_GET
def team_detail(request: HttpRequest, team_id: Any) -> HttpResponse:
    """One team: its members and what it holds, with the forms that change them."""
    admin, team = _team_or_404(request, team_id)
    return _detail_render(request, admin, team)


def _detail_render(
    request: HttpRequest,
    admin: User,
    team: Team,
    *,
    member_form: MemberAddForm | None = None,
    assignment_form: AssignmentForm | None = None,
    bulk_form: BulkAssignmentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The team's page; its per-customer assignments and the customers the "Where" offers
    a page at a time (a partner may have thousands), narrowed by ``?q=``."""
    search = _search(request)
    query = search.query
    memberships = team.memberships.select_related("user__agent_access")
    members = [m.user for m in memberships.order_by("user__first_name", "user__email")]
    default = AccessAssignment.objects.filter(team=team, relationship__isnull=True).first()
    per_customer = (
        AccessAssignment.objects.filter(team=team, relationship__isnull=False)
        .select_related("relationship__customer")
        .order_by("relationship__customer__name", "pk")
    )
    relationships = _effective_relationships(admin)
    offered = relationships
    if query:
        per_customer = per_customer.filter(relationship__customer__name__icontains=query)
        offered = offered.filter(customer__name__icontains=query)
    page = Paginator(per_customer, PAGE_SIZE).get_page(request.GET.get("page"))
    assignment_form = assignment_form or AssignmentForm(relationships=relationships)
    assignment_form.show(offered[:PAGE_SIZE], total=offered.count(), query=query)
    context = {
        "partner": admin.tenant,
        "team": team,
        "members": members,
        "default": default,
        "page": page,
        "search": search,
        "query": query,
        "member_form": member_form or MemberAddForm(staff=_non_members(admin, team)),
        "assignment_form": assignment_form,
        "bulk_form": bulk_form or BulkAssignmentForm(groups=_groups(admin)),
        "default_value": DEFAULT,
    }
    return render(request, "delegation/teams/team_detail.html", context, status=status)


def _non_members(admin: User, team: Team) -> QuerySet[User]:
    return _staff(admin).filter(is_active=True).exclude(team_memberships__team=team)


@login_required
@require_http_methods(["GET", "POST"])
@recent_sign_in_required(allow_get=True, gate=_team_gate)
def team_edit(request: HttpRequest, team_id: Any) -> HttpResponse:
    """Rename a team or change its description."""
    admin, team = _team_or_404(request, team_id)
    if request.method == "POST":
        form = TeamForm(request.POST)
        if form.is_valid():
            try:
                teams.team_update(
                    partner_admin=admin,
                    team=team,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as exc:
                _form_error(form, exc, "name")
            except PermissionDenied as exc:
                raise Http404("No such page.") from exc
            else:
                messages.success(request, f"Team {form.cleaned_data['name'].strip()} saved.")
                return redirect("delegation:team-detail", team_id=team.pk)
        status = 400
    else:
        form = TeamForm(initial={"name": team.name, "description": team.description})
        status = 200
    return render(
        request,
        "delegation/teams/team_form.html",
        {"partner": admin.tenant, "form": form, "team": team},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@recent_sign_in_required(allow_get=True, gate=_team_gate)
def team_delete(request: HttpRequest, team_id: Any) -> HttpResponse:
    """Confirm, then delete a team: its members lose what it held at once."""
    admin, team = _team_or_404(request, team_id)
    if request.method == "POST":
        try:
            teams.team_delete(partner_admin=admin, team=team)
        except PermissionDenied as exc:
            raise Http404("No such page.") from exc
        messages.success(request, f"Team {team.name} deleted.")
        return redirect("delegation:teams")
    context = {
        "partner": admin.tenant,
        "team": team,
        "member_count": team.memberships.count(),
        "assignment_count": team.assignments.count(),
    }
    return render(request, "delegation/teams/team_delete.html", context)


# --- Members ---------------------------------------------------------------------------


@login_required
@recent_sign_in_required(gate=_team_gate)
def team_member_add(request: HttpRequest, team_id: Any) -> HttpResponse:
    """Add one of the partner's staff to the team."""
    admin, team = _team_or_404(request, team_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = MemberAddForm(request.POST, staff=_non_members(admin, team))
    if form.is_valid():
        user = form.cleaned_data["user"]
        try:
            added = teams.team_member_add(
                partner_admin=admin,
                team=team,
                user=user,
                # The page asks for a recent sign-in before it saves.
                reauthenticated=True,
            )
        except ValidationError as exc:
            _form_error(
                form, exc, "user", codes=("staff", "self_escalation", "self_escalation_reauth")
            )
        except PermissionDenied as exc:
            raise Http404("No such page.") from exc
        else:
            if added:
                messages.success(request, f"{user.display_name} is now in {team.name}.")
            else:
                messages.info(request, f"{user.display_name} was already in {team.name}.")
            return redirect("delegation:team-detail", team_id=team.pk)
    return _detail_render(request, admin, team, member_form=form, status=400)


@login_required
@recent_sign_in_required(gate=_team_gate)
def team_member_remove(request: HttpRequest, team_id: Any) -> HttpResponse:
    """Take a member out of the team: they lose what it held at their next page."""
    admin, team = _team_or_404(request, team_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    pk = uuid_or_none(request.POST.get("user"))
    user = _staff(admin).filter(pk=pk).first() if pk else None
    if user is None:
        messages.error(request, "Choose a member of the team to remove.")
        return redirect("delegation:team-detail", team_id=team.pk)
    try:
        removed = teams.team_member_remove(partner_admin=admin, team=team, user=user)
    except PermissionDenied as exc:
        raise Http404("No such page.") from exc
    if removed:
        messages.success(request, f"{user.display_name} is no longer in {team.name}.")
    else:
        messages.info(request, f"{user.display_name} was not in {team.name}.")
    return redirect("delegation:team-detail", team_id=team.pk)


# --- Access assignments ----------------------------------------------------------------


@login_required
@recent_sign_in_required(gate=_team_gate)
def team_assignment_set(request: HttpRequest, team_id: Any) -> HttpResponse:
    """Give the team exactly these roles in one customer, or by default in every one."""
    admin, team = _team_or_404(request, team_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AssignmentForm(request.POST, relationships=_effective_relationships(admin))
    if form.is_valid():
        relationship = form.relationship
        codes = form.cleaned_data["roles"]
        try:
            teams.assignment_set(
                partner_admin=admin,
                team=team,
                relationship=relationship,
                roles=codes,
                reauthenticated=True,
            )
        except ValidationError as exc:
            _form_error(form, exc, "roles", codes=("not_granted",))
        except PermissionDenied as exc:
            raise Http404("No such page.") from exc
        else:
            where = relationship.customer.name if relationship else teams.EVERY_CUSTOMER
            messages.success(request, f"{team.name} holds {_role_labels(codes)} in {where}.")
            return redirect("delegation:team-detail", team_id=team.pk)
    return _detail_render(request, admin, team, assignment_form=form, status=400)


@login_required
@recent_sign_in_required(gate=_team_gate)
def team_assignment_remove(request: HttpRequest, team_id: Any) -> HttpResponse:
    """Take away what the team holds in one customer, or its default."""
    admin, team = _team_or_404(request, team_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    target = request.POST.get("relationship", "")
    relationship: Relationship | None = None
    if target != DEFAULT:
        pk = uuid_or_none(target)
        relationship = (
            Relationship.objects.filter(pk=pk, partner_id=admin.tenant_id)
            .select_related("customer")
            .first()
            if pk
            else None
        )
        if relationship is None:
            messages.error(request, "Choose an assignment of the team to remove.")
            return redirect("delegation:team-detail", team_id=team.pk)
    try:
        removed = teams.assignment_remove(partner_admin=admin, team=team, relationship=relationship)
    except PermissionDenied as exc:
        raise Http404("No such page.") from exc
    where = relationship.customer.name if relationship else teams.EVERY_CUSTOMER
    if removed:
        messages.success(request, f"{team.name} no longer holds roles in {where}.")
    else:
        messages.info(request, f"{team.name} held no roles in {where}.")
    return redirect("delegation:team-detail", team_id=team.pk)


@login_required
@recent_sign_in_required(gate=_team_gate)
def team_assignment_bulk(request: HttpRequest, team_id: Any) -> HttpResponse:
    """Give the team roles in every customer of a group, or whose name contains a text;
    in each, only the roles that customer granted."""
    admin, team = _team_or_404(request, team_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = BulkAssignmentForm(request.POST, groups=_groups(admin))
    if form.is_valid():
        group = form.cleaned_data["group"]
        name = form.cleaned_data["name_contains"]
        if group is not None:
            chosen = teams.customer_group_relationships(group)
            described = f"the customers of {group.name}"
        else:
            # as the one-customer form: only relationships that grant access now
            chosen = Relationship.objects.effective().filter(
                partner_id=admin.tenant_id, customer__name__icontains=name
            )
            described = f"the customers whose name contains “{name}”"
        try:
            changed = teams.assignment_set_bulk(
                partner_admin=admin,
                team=team,
                roles=form.cleaned_data["roles"],
                relationships=chosen,
                reauthenticated=True,
            )
        except ValidationError as exc:
            _form_error(form, exc)
        except PermissionDenied as exc:
            raise Http404("No such page.") from exc
        else:
            if changed:
                messages.success(
                    request,
                    f"{team.name}: roles set in {changed} of {described}, each within what "
                    "that customer granted.",
                )
            else:
                messages.info(
                    request,
                    f"Nothing changed: {team.name} already holds these roles in "
                    f"{described}, or they granted none of them.",
                )
            return redirect("delegation:team-detail", team_id=team.pk)
    return _detail_render(request, admin, team, bulk_form=form, status=400)


# --- Customer groups -------------------------------------------------------------------


def _customer_page(request: HttpRequest, customers: QuerySet[Tenant]) -> dict[str, Any]:
    """What a group form's page shows of ``customers``: one page of them by name,
    narrowed by ``?q=``, and the search box."""
    search = _search(request)
    if search.query:
        customers = customers.filter(name__icontains=search.query)
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "search": search, "query": search.query}


def _here(request: HttpRequest, name: str, **kwargs: Any) -> str:
    """The address of page ``name`` with the search and page number the request had."""
    kept = {k: request.GET[k] for k in ("q", "page") if request.GET.get(k)}
    return reverse(f"delegation:{name}", kwargs=kwargs) + (f"?{urlencode(kept)}" if kept else "")


@login_required
@require_http_methods(["GET", "POST"])
@recent_sign_in_required(allow_get=True, gate=_admin_gate)
def customer_groups(request: HttpRequest) -> HttpResponse:
    """The partner's customer groups, and a form for a new one listing its customers a
    page at a time."""
    admin = partner_admin_or_404(request)
    customers = _customers(admin)
    form = CustomerGroupForm(
        request.POST if request.method == "POST" else None, customers=customers
    )
    if request.method == "POST" and form.is_valid():
        try:
            group = teams.customer_group_create(
                partner_admin=admin,
                name=form.cleaned_data["name"],
                customers=form.cleaned_data["customers"],
            )
        except ValidationError as exc:
            _form_error(form, exc, "name")
        except PermissionDenied as exc:
            raise Http404("No such page.") from exc
        else:
            messages.success(request, f"Customer group {group.name} created.")
            return redirect("delegation:customer-groups")
    listed = _customer_page(request, customers)
    form.show(listed["page"].object_list)
    groups = _groups(admin).annotate(customer_count=Count("customers"))
    context = {"partner": admin.tenant, "groups": groups, "form": form, **listed}
    status = 400 if request.method == "POST" else 200
    return render(request, "delegation/teams/customer_groups.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@recent_sign_in_required(allow_get=True, gate=_group_gate)
def customer_group_edit(request: HttpRequest, group_id: Any) -> HttpResponse:
    """Rename a customer group or choose its customers, a page of them at a time: a save
    changes only the customers the page showed."""
    admin, group = _group_or_404(request, group_id)
    customers = _customers(admin)
    if request.method == "POST":
        form = CustomerGroupForm(request.POST, customers=customers)
        if form.is_valid():
            try:
                teams.customer_group_update(
                    partner_admin=admin,
                    group=group,
                    name=form.cleaned_data["name"],
                    customers=form.cleaned_data["customers"],
                    within=form.cleaned_data["shown"],
                )
            except ValidationError as exc:
                _form_error(form, exc, "name")
            except PermissionDenied as exc:
                raise Http404("No such page.") from exc
            else:
                messages.success(
                    request, f"Customer group {form.cleaned_data['name'].strip()} saved."
                )
                return redirect(_here(request, "customer-group-edit", group_id=group.pk))
        status = 400
    else:
        form = CustomerGroupForm(initial={"name": group.name}, customers=customers)
        status = 200
    listed = _customer_page(request, customers)
    shown = list(listed["page"].object_list)
    if not form.is_bound:
        form.initial["customers"] = list(
            group.customers.filter(pk__in=[c.pk for c in shown]).values_list("pk", flat=True)
        )
    form.show(shown)
    context = {
        "partner": admin.tenant,
        "group": group,
        "form": form,
        "member_count": group.customers.count(),
        **listed,
    }
    return render(request, "delegation/teams/customer_group_edit.html", context, status=status)


@login_required
@recent_sign_in_required(gate=_group_gate)
def customer_group_delete(request: HttpRequest, group_id: Any) -> HttpResponse:
    """Delete a customer group; its customers and what teams hold in them stay."""
    admin, group = _group_or_404(request, group_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        teams.customer_group_delete(partner_admin=admin, group=group)
    except PermissionDenied as exc:
        raise Http404("No such page.") from exc
    messages.success(request, f"Customer group {group.name} deleted.")
    return redirect("delegation:customer-groups")
