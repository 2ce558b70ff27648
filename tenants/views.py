"""Views of the directory: the landing redirect, the profile page and the admin center."""

import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from delegation.access import (
    Rights,
    grantable_roles,
    missing_permission,
    tenant_rights_or_404,
    user_refusal,
)
from partnerportal.ratelimit import ratelimit
from partnerportal.reauth import recent_sign_in_required
from partnerportal.refusals import Refused
from tenants.roles import Permission, Role

from . import services
from .forms import (
    DomainAddForm,
    RoleChangeForm,
    ServiceRequestCommentForm,
    ServiceRequestForm,
    SubscriptionSeatsForm,
    UserCreateForm,
    UserEditForm,
    UserSearchForm,
)
from .models import Domain, RoleAssignment, ServiceRequest, User
from .selectors import (
    landing_url,
    tenant_administrators,
    tenant_partner_access,
    user_count_display,
    users_page,
    uuid_or_none,
)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in user where its work is, anyone else to sign in."""
    if isinstance(request.user, User):
        return redirect(landing_url(request.user))
    return redirect("account_login")


@require_safe
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    roles = RoleAssignment.objects.filter(user=_actor(request))
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
        "user_count": user_count_display(tenant),
        "P": Permission,
    }
    return render(request, "tenants/admin_center.html", context)


# --- The admin center's pages ---------------------------------------------------------------
# A missing permission is a 404, like a missing tenant: no page confirms what exists.


def _actor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # login_required has let only users through
        raise Http404("No such page.")
    return user


def _rights_or_404(
    request: HttpRequest, tenant_id: UUID, permission: Permission = Permission.VIEW_TENANT
) -> Rights:
    rights = tenant_rights_or_404(request, tenant_id)
    if permission not in rights:
        raise missing_permission(rights, permission)
    return rights


def _render(
    request: HttpRequest, template: str, rights: Rights, context: dict[str, Any] | None = None
) -> HttpResponse:
    using = "jinja2" if template.endswith(".jinja") else None
    context = {"rights": rights, "tenant": rights.tenant, **(context or {})}
    return render(request, template, context, using=using)


def _method_not_allowed(request: HttpRequest) -> HttpResponse | None:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


def _error(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _user_or_404(rights: Rights, user_id: UUID) -> User:
    return get_object_or_404(rights.tenant.users.all(), pk=user_id)


def _may(permission: Permission) -> Callable[..., object]:
    """A gate for ``recent_sign_in_required``: a 404 before any re-authentication for
    whoever lacks ``permission`` in the tenant."""

    def gate(request: HttpRequest, tenant_id: UUID, **kwargs: Any) -> object:
        return _rights_or_404(request, tenant_id, permission)

    return gate


def _user_url(rights: Rights, user: User) -> str:
    return reverse(
        "tenants:user-detail", kwargs={"tenant_id": rights.tenant.pk, "user_id": user.pk}
    )


# Users ---------------------------------------------------------------------------------------


@require_safe
@login_required
def users(request: HttpRequest, tenant_id: UUID) -> HttpResponse:
    """The tenant's users: search and keyset pages of fifty."""
    rights = _rights_or_404(request, tenant_id)
    form = UserSearchForm(request.GET)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    after = uuid_or_none(request.GET.get("after"))
    before = uuid_or_none(request.GET.get("before"))
    page = users_page(rights.tenant, q=q, after=after, before=before)
    return _render(request, "tenants/users.jinja", rights, {"form": form, "q": q, "page": page})


@login_required
@recent_sign_in_required(allow_get=True, gate=_may(Permission.MANAGE_USERS))
def user_create(request: HttpRequest, tenant_id: UUID) -> HttpResponse:
    rights = _rights_or_404(request, tenant_id, Permission.MANAGE_USERS)
    domains = list(
        rights.tenant.domains.filter(verified=True).order_by("name").values_list("name", flat=True)
    )
    form = UserCreateForm(
        request.POST or None, verified_domains=domains, grantable=grantable_roles(rights)
    )
    if request.method == "POST" and form.is_valid():
        try:
            user, password = services.user_add(
                acting_user=_actor(request), tenant=rights.tenant, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _password_shown(request, rights, user, password, created=True)
    return _render(request, "tenants/user_form.html", rights, {"form": form, "target": None})


@require_safe
@login_required
def user_detail(request: HttpRequest, tenant_id: UUID, user_id: UUID) -> HttpResponse:
    rights = _rights_or_404(request, tenant_id)
    target = get_object_or_404(rights.tenant.users.prefetch_related("role_assignments"), pk=user_id)
    actor = _actor(request)
    held = {Role(a.role) for a in target.role_assignments.all()}
    grantable = grantable_roles(rights)
    context = {
        "target": target,
        "held_roles": [r for r in Role if r in held],
        "removable_roles": {r for r in grantable if r in held},
        "other_roles": [r for r in grantable if r not in held],
        "can_manage": services.user_manage_allowed(rights=rights, actor=actor, target=target),
        "can_reset": services.password_reset_allowed(rights=rights, actor=actor, target=target),
        "can_assign": bool(grantable),
        # Why an act the actor may do to others is not offered for this user.
        "refusal": user_refusal(
            rights,
            actor,
            target,
            reset=rights.has(Permission.RESET_PASSWORDS) and actor.pk != target.pk,
            manage=rights.has(Permission.MANAGE_USERS) and actor.pk != target.pk,
        ),
    }
    return _render(request, "tenants/user_detail.html", rights, context)


def _managed_user_or_404(
    request: HttpRequest, tenant_id: UUID, user_id: UUID
) -> tuple[Rights, User]:
    rights = _rights_or_404(request, tenant_id, Permission.MANAGE_USERS)
    target = _user_or_404(rights, user_id)
    if reason := user_refusal(rights, _actor(request), target, reset=False, manage=True):
        raise Refused(reason)
    return rights, target


@login_required
@recent_sign_in_required(allow_get=True, gate=_managed_user_or_404)
def user_edit(request: HttpRequest, tenant_id: UUID, user_id: UUID) -> HttpResponse:
    rights, target = _managed_user_or_404(request, tenant_id, user_id)
    initial = {f: getattr(target, f) for f in ("first_name", "last_name", "job_title")}
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.user_update(
            acting_user=_actor(request), tenant=rights.tenant, user=target, **form.cleaned_data
        )
        messages.success(request, f"Saved {target.email}.")
        return redirect(_user_url(rights, target))
    return _render(request, "tenants/user_form.html", rights, {"form": form, "target": target})


@login_required
@recent_sign_in_required(allow_get=True, gate=_managed_user_or_404)
def user_disable(request: HttpRequest, tenant_id: UUID, user_id: UUID) -> HttpResponse:
    rights, target = _managed_user_or_404(request, tenant_id, user_id)
    if response := _method_not_allowed(request):
        return response
    try:
        changed = services.user_disable(
            acting_user=_actor(request), tenant=rights.tenant, user=target
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        if changed:
            messages.success(request, f"{target.email} is disabled and signed out everywhere.")
        else:
            messages.info(request, f"{target.email} was already disabled.")
    return redirect(_user_url(rights, target))


@login_required
@recent_sign_in_required(allow_get=True, gate=_managed_user_or_404)
def user_enable(request: HttpRequest, tenant_id: UUID, user_id: UUID) -> HttpResponse:
    rights, target = _managed_user_or_404(request, tenant_id, user_id)
    if response := _method_not_allowed(request):
        return response
    changed = services.user_enable(acting_user=_actor(request), tenant=rights.tenant, user=target)
    if changed:
        messages.success(request, f"{target.email} is enabled and can sign in again.")
    else:
        messages.info(request, f"{target.email} was already enabled.")
    return redirect(_user_url(rights, target))


def _resettable_user_or_404(
    request: HttpRequest, tenant_id: UUID, user_id: UUID
) -> tuple[Rights, User]:
    rights = _rights_or_404(request, tenant_id, Permission.RESET_PASSWORDS)
    target = _user_or_404(rights, user_id)
    if reason := user_refusal(rights, _actor(request), target, reset=True, manage=False):
        raise Refused(reason)
    return rights, target


@login_required
@never_cache
@recent_sign_in_required(allow_get=True, gate=_resettable_user_or_404)
def user_reset_password(request: HttpRequest, tenant_id: UUID, user_id: UUID) -> HttpResponse:
    """Confirm (GET), then reset (POST, after a recent sign-in) and show the password once."""
    rights, target = _resettable_user_or_404(request, tenant_id, user_id)
    if request.method == "POST":
        return _reset_password_now(request, rights, target)
    return _render(request, "tenants/user_reset_password.html", rights, {"target": target})


def _reset_password_now(request: HttpRequest, rights: Rights, target: User) -> HttpResponse:
    password = services.user_password_reset(
        acting_user=_actor(request), tenant=rights.tenant, user=target
    )
    return _password_shown(request, rights, target, password, created=False)


# The one-time secret of the last user added or reset, between the POST that made it and
# the page that shows it: read once, and only within a few minutes.
SHOWN_ONCE_SESSION_KEY = "portal.shown_once"
SHOWN_ONCE_SECONDS = 300


def _password_shown(
    request: HttpRequest, rights: Rights, target: User, password: str, *, created: bool
) -> HttpResponse:
    """Keep the password in the session for one showing and redirect to it: reloading
    the page that shows it never resets the password again."""
    request.session[SHOWN_ONCE_SESSION_KEY] = {
        "user": str(target.pk),
        "password": password,
        "created": created,
        "at": time.time(),
    }
    return redirect("tenants:user-password", tenant_id=rights.tenant.pk, user_id=target.pk)


@require_safe
@login_required
@never_cache
def user_password(request: HttpRequest, tenant_id: UUID, user_id: UUID) -> HttpResponse:
    """Show the temporary password just made, once; afterwards say it is gone."""
    rights = _rights_or_404(request, tenant_id)
    target = _user_or_404(rights, user_id)
    secret = request.session.get(SHOWN_ONCE_SESSION_KEY)
    if (
        not isinstance(secret, dict)
        or secret.get("user") != str(target.pk)
        or time.time() - float(secret.get("at", 0)) > SHOWN_ONCE_SECONDS
    ):
        messages.info(
            request,
            f"The temporary password of {target.email} was shown once and is not kept. "
            "If it was lost, reset the password again.",
        )
        return redirect(_user_url(rights, target))
    del request.session[SHOWN_ONCE_SESSION_KEY]
    context = {"target": target, "password": secret["password"], "created": secret["created"]}
    response = _render(request, "tenants/user_password_shown.html", rights, context)
    add_never_cache_headers(response)
    return response


def _role_target_or_404(
    request: HttpRequest, tenant_id: UUID, user_id: UUID
) -> tuple[Rights, User]:
    rights = _rights_or_404(request, tenant_id, Permission.ASSIGN_ROLES)
    return rights, _user_or_404(rights, user_id)


@login_required
@recent_sign_in_required(allow_get=True, gate=_role_target_or_404)
def user_roles(request: HttpRequest, tenant_id: UUID, user_id: UUID) -> HttpResponse:
    """Assign or remove one directory role (after a recent sign-in)."""
    rights, target = _role_target_or_404(request, tenant_id, user_id)
    if response := _method_not_allowed(request):
        return response
    return _change_role_now(request, rights, target)


def _change_role_now(request: HttpRequest, rights: Rights, target: User) -> HttpResponse:
    form = RoleChangeForm(request.POST, grantable=grantable_roles(rights))
    if not form.is_valid():
        messages.error(request, "Choose a role and whether to assign or remove it.")
        return redirect(_user_url(rights, target))
    role = form.cleaned_data["role"]
    assign = form.cleaned_data["operation"] == RoleChangeForm.ASSIGN
    service = services.user_role_assign if assign else services.user_role_remove
    try:
        changed = service(acting_user=_actor(request), tenant=rights.tenant, user=target, role=role)
    except ValidationError as exc:
        _error(request, exc)
        return redirect(_user_url(rights, target))
    if assign:
        text = "now holds" if changed else "already held"
    else:
        text = "no longer holds" if changed else "did not hold"
    messages.success(request, f"{target.email} {text} the role {role.label}.")
    return redirect(_user_url(rights, target))


# Domains -------------------------------------------------------------------------------------


@require_safe
@login_required
def domains(request: HttpRequest, tenant_id: UUID) -> HttpResponse:
    rights = _rights_or_404(request, tenant_id)
    return _render(
        request, "tenants/domains.html", rights, {"domains": rights.tenant.domains.all()}
    )


@login_required
@recent_sign_in_required(allow_get=True, gate=_may(Permission.MANAGE_DOMAINS))
def domain_add(request: HttpRequest, tenant_id: UUID) -> HttpResponse:
    rights = _rights_or_404(request, tenant_id, Permission.MANAGE_DOMAINS)
    form = DomainAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            domain = services.domain_add(
                acting_user=_actor(request), tenant=rights.tenant, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(
                request,
                f"Added {domain.name}. To verify it, create the TXT record shown below "
                "at your DNS host, then choose Verify.",
            )
            return redirect("tenants:domains", tenant_id=rights.tenant.pk)
    return _render(request, "tenants/domain_add.html", rights, {"form": form})


def _domain_or_404(request: HttpRequest, tenant_id: UUID, domain_id: UUID) -> tuple[Rights, Domain]:
    rights = _rights_or_404(request, tenant_id, Permission.MANAGE_DOMAINS)
    return rights, get_object_or_404(rights.tenant.domains.all(), pk=domain_id)


@login_required
@recent_sign_in_required(allow_get=True, gate=_domain_or_404)
@ratelimit(key="user", rate="DOMAIN_VERIFY_RATE_LIMIT")
def domain_verify(request: HttpRequest, tenant_id: UUID, domain_id: UUID) -> HttpResponse:
    """Look the domain's TXT record up and verify it; each click asks DNS, so a user's
    clicks are limited (``DOMAIN_VERIFY_RATE_LIMIT``)."""
    rights, domain = _domain_or_404(request, tenant_id, domain_id)
    if response := _method_not_allowed(request):
        return response
    try:
        changed = services.domain_verify(
            acting_user=_actor(request), tenant=rights.tenant, domain=domain
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        if changed:
            messages.success(request, f"{domain.name} is verified.")
        else:
            messages.info(request, f"{domain.name} was already verified.")
    return redirect("tenants:domains", tenant_id=rights.tenant.pk)


@login_required
@recent_sign_in_required(allow_get=True, gate=_domain_or_404)
def domain_default(request: HttpRequest, tenant_id: UUID, domain_id: UUID) -> HttpResponse:
    rights, domain = _domain_or_404(request, tenant_id, domain_id)
    if response := _method_not_allowed(request):
        return response
    try:
        changed = services.domain_make_default(
            acting_user=_actor(request), tenant=rights.tenant, domain=domain
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        if changed:
            messages.success(request, f"{domain.name} is now the default domain.")
        else:
            messages.info(request, f"{domain.name} was already the default domain.")
    return redirect("tenants:domains", tenant_id=rights.tenant.pk)


@login_required
@recent_sign_in_required(allow_get=True, gate=_domain_or_404)
def domain_remove(request: HttpRequest, tenant_id: UUID, domain_id: UUID) -> HttpResponse:
    rights, domain = _domain_or_404(request, tenant_id, domain_id)
    if response := _method_not_allowed(request):
        return response
    try:
        services.domain_remove(acting_user=_actor(request), tenant=rights.tenant, domain=domain)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, f"Removed {domain.name}.")
    return redirect("tenants:domains", tenant_id=rights.tenant.pk)


# Subscriptions -------------------------------------------------------------------------------


@require_safe
@login_required
def subscriptions(request: HttpRequest, tenant_id: UUID) -> HttpResponse:
    rights = _rights_or_404(request, tenant_id, Permission.VIEW_BILLING)
    context = {"subscriptions": rights.tenant.subscriptions.all()}
    return _render(request, "tenants/subscriptions.html", rights, context)


@login_required
@recent_sign_in_required(allow_get=True, gate=_may(Permission.MANAGE_BILLING))
def subscription_seats(
    request: HttpRequest, tenant_id: UUID, subscription_id: UUID
) -> HttpResponse:
    rights = _rights_or_404(request, tenant_id, Permission.MANAGE_BILLING)
    subscription = get_object_or_404(rights.tenant.subscriptions.all(), pk=subscription_id)
    form = SubscriptionSeatsForm(request.POST or None, initial={"seats": subscription.seats})
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.subscription_change_seats(
                acting_user=_actor(request),
                tenant=rights.tenant,
                subscription=subscription,
                seats=form.cleaned_data["seats"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if changed:
                messages.success(
                    request, f"{subscription.plan} now has {form.cleaned_data['seats']} seats."
                )
            else:
                messages.info(request, f"{subscription.plan} already had that many seats.")
            return redirect("tenants:subscriptions", tenant_id=rights.tenant.pk)
    context = {"form": form, "subscription": subscription}
    return _render(request, "tenants/subscription_seats.html", rights, context)


@login_required
@recent_sign_in_required(allow_get=True, gate=_may(Permission.MANAGE_BILLING))
def subscription_cancel(
    request: HttpRequest, tenant_id: UUID, subscription_id: UUID
) -> HttpResponse:
    rights = _rights_or_404(request, tenant_id, Permission.MANAGE_BILLING)
    subscription = get_object_or_404(rights.tenant.subscriptions.all(), pk=subscription_id)
    if response := _method_not_allowed(request):
        return response
    if services.subscription_cancel(
        acting_user=_actor(request), tenant=rights.tenant, subscription=subscription
    ):
        messages.success(request, f"{subscription.plan} is cancelled.")
    else:
        messages.info(request, f"{subscription.plan} was already cancelled.")
    return redirect("tenants:subscriptions", tenant_id=rights.tenant.pk)


# Service requests ----------------------------------------------------------------------------

SERVICE_REQUESTS_PAGE_SIZE = 25


def _service_request_or_404(rights: Rights, request_id: UUID) -> ServiceRequest:
    return get_object_or_404(ServiceRequest.objects.visible_in(rights), pk=request_id)


def _service_request_url(rights: Rights, service_request: ServiceRequest) -> str:
    return reverse(
        "tenants:service-request-detail",
        kwargs={"tenant_id": rights.tenant.pk, "request_id": service_request.pk},
    )


@require_safe
@login_required
def service_requests(request: HttpRequest, tenant_id: UUID) -> HttpResponse:
    rights = _rights_or_404(request, tenant_id, Permission.VIEW_SERVICE_REQUESTS)
    qs = ServiceRequest.objects.visible_in(rights).select_related(
        "created_by", "filed_on_behalf_by_partner"
    )
    page = Paginator(qs, SERVICE_REQUESTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(request, "tenants/service_requests.html", rights, {"page": page})


@login_required
def service_request_create(request: HttpRequest, tenant_id: UUID) -> HttpResponse:
    rights = _rights_or_404(request, tenant_id, Permission.MANAGE_SERVICE_REQUESTS)
    actor = _actor(request)
    initial = {"contact_name": actor.get_full_name(), "contact_email": actor.email}
    form = ServiceRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        service_request = services.service_request_create(
            acting_user=actor, tenant=rights.tenant, **form.cleaned_data
        )
        messages.success(
            request, f"Filed {service_request.reference}. Support will answer by email."
        )
        return redirect(_service_request_url(rights, service_request))
    return _render(request, "tenants/service_request_form.html", rights, {"form": form})


@require_safe
@login_required
def service_request_detail(request: HttpRequest, tenant_id: UUID, request_id: UUID) -> HttpResponse:
    rights = _rights_or_404(request, tenant_id, Permission.VIEW_SERVICE_REQUESTS)
    service_request = _service_request_or_404(rights, request_id)
    comments = service_request.comments.select_related("author__tenant")
    context = {
        "service_request": service_request,
        "comments": comments,
        "comment_form": ServiceRequestCommentForm(),
        "can_manage": rights.has(Permission.MANAGE_SERVICE_REQUESTS),
    }
    return _render(request, "tenants/service_request_detail.html", rights, context)


@login_required
def service_request_comment(
    request: HttpRequest, tenant_id: UUID, request_id: UUID
) -> HttpResponse:
    rights = _rights_or_404(request, tenant_id, Permission.MANAGE_SERVICE_REQUESTS)
    service_request = _service_request_or_404(rights, request_id)
    if response := _method_not_allowed(request):
        return response
    form = ServiceRequestCommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a comment first.")
        return redirect(_service_request_url(rights, service_request))
    try:
        services.service_request_comment(
            acting_user=_actor(request),
            tenant=rights.tenant,
            service_request=service_request,
            body=form.cleaned_data["body"],
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, "Comment added.")
    return redirect(_service_request_url(rights, service_request))


@login_required
def service_request_close(request: HttpRequest, tenant_id: UUID, request_id: UUID) -> HttpResponse:
    rights = _rights_or_404(request, tenant_id, Permission.MANAGE_SERVICE_REQUESTS)
    service_request = _service_request_or_404(rights, request_id)
    if response := _method_not_allowed(request):
        return response
    if services.service_request_close(
        acting_user=_actor(request), tenant=rights.tenant, service_request=service_request
    ):
        messages.success(request, f"Closed {service_request.reference}.")
    else:
        messages.info(request, f"{service_request.reference} was already closed.")
    return redirect(_service_request_url(rights, service_request))


# Administrators ------------------------------------------------------------------------------


@require_safe
@login_required
def administrators(request: HttpRequest, tenant_id: UUID) -> HttpResponse:
    """ "Show all administrators": the tenant's role holders and its partners' access."""
    rights = _rights_or_404(request, tenant_id, Permission.VIEW_ADMINISTRATORS)
    admins = tenant_administrators(rights.tenant)
    context = {"admins": admins, "partners": tenant_partner_access(rights.tenant)}
    return _render(request, "tenants/administrators.html", rights, context)
