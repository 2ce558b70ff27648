"""Django admin for the directory: platform operators (superusers) see everything; a
partner admin with ``is_staff`` only its own users, read-only but for delegated access."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse

from delegation.models import AccessLevel, AgentAccess
from delegation.selectors import is_partner_admin
from delegation.services import agent_access_check, agent_access_set, agent_access_set_by_operator

from .models import (
    Domain,
    OutboundEmail,
    RoleAssignment,
    ServiceRequest,
    ServiceRequestComment,
    Subscription,
    Tenant,
    User,
)
from .services import (
    domain_verify_by_operator,
    service_request_answer,
    service_request_set_status,
)


def is_operator(request: HttpRequest) -> bool:
    """A platform operator: an enabled superuser."""
    user = request.user
    return bool(user.is_active and user.is_superuser)


def scoped_partner_admin(request: HttpRequest) -> User | None:
    """The partner admin whose Django admin is narrowed to its own tenant, if any."""
    user = request.user
    if is_operator(request) or not isinstance(user, User) or not is_partner_admin(user):
        return None
    return user


def may_see_user(request: HttpRequest, obj: Any) -> bool:
    """An operator sees every user; a partner admin its own tenant's (``obj`` None: any)."""
    if is_operator(request):
        return True
    scoped = scoped_partner_admin(request)
    return scoped is not None and (obj is None or obj.tenant_id == scoped.tenant_id)


class OperatorOnlyMixin:
    """Platform operators only: anyone else finds nothing here, whatever its permissions."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_operator(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_operator(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_operator(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_operator(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_operator(request)


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    # Verified only by DNS or the audited "Mark verified (operator)" action.
    readonly_fields = ["verified"]


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0


@admin.register(Tenant)
class TenantAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "default_domain_name", "country", "contact_email", "created"]
    list_filter = ["kind", "country", "require_admin_mfa"]
    search_fields = ["name", "domains__name", "contact_email", "contact_name"]
    readonly_fields = ["id", "created"]
    inlines = [DomainInline, SubscriptionInline]
    fieldsets = [
        (None, {"fields": ["id", "kind", "name", "created"]}),
        (
            "Contact details",
            {"fields": ["contact_name", "contact_email", "contact_phone", "address", "country"]},
        ),
        ("Security", {"fields": ["require_admin_mfa"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        return super().get_queryset(request).prefetch_related("domains")

    @admin.display(description="Default domain")
    def default_domain_name(self, obj: Tenant) -> str:
        return next((d.name for d in obj.domains.all() if d.is_default), "—")


@admin.register(Domain)
class DomainAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "tenant", "verified", "is_default", "created"]
    list_filter = ["verified", "is_default"]
    search_fields = ["name", "tenant__name"]
    list_select_related = ["tenant"]
    autocomplete_fields = ["tenant"]
    readonly_fields = ["verified", "txt_record"]
    actions = ["mark_verified"]

    @admin.display(description="TXT record")
    def txt_record(self, obj: Domain) -> str:
        return obj.txt_record

    @admin.action(description="Mark verified (operator)")
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[Domain]) -> None:
        """The operator vouches for each domain: through the service, audited in its
        tenant, taking the name over from other organisations' claims."""
        operator: User = request.user  # type: ignore[assignment]
        verified = 0
        for domain in queryset.select_related("tenant"):
            try:
                verified += domain_verify_by_operator(operator=operator, domain=domain)
            except ValidationError as exc:
                self.message_user(
                    request, f"{domain.name}: {' '.join(exc.messages)}", messages.ERROR
                )
        self.message_user(request, f"Verified {verified} domain(s).", messages.SUCCESS)


@admin.register(Subscription)
class SubscriptionAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = ["plan", "tenant", "seats", "status", "renewal_date"]
    list_filter = ["status", "plan"]
    search_fields = ["plan", "tenant__name"]
    list_select_related = ["tenant"]
    autocomplete_fields = ["tenant"]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0


class AgentAccessFormSet(BaseInlineFormSet):
    """Refuses, with the service's words, a change the service would refuse."""

    actor: User  # set by AgentAccessInline.get_formset

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if not form.has_changed() or not hasattr(form, "cleaned_data"):
                continue
            old = form.initial.get("level", AccessLevel.NONE)
            new = form.cleaned_data.get("level", AccessLevel.NONE)
            try:
                agent_access_check(
                    actor=self.actor, staff_user=self.instance, old_level=old, new_level=new
                )
            except ValidationError as exc:
                form.add_error("level", exc)


class AgentAccessInline(admin.StackedInline):
    model = AgentAccess
    formset = AgentAccessFormSet
    can_delete = False
    max_num = 1
    verbose_name_plural = "Delegated access (partner staff)"

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        return 0 if obj is not None and AgentAccess.objects.filter(user=obj).exists() else 1

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        # The factory makes a fresh class per call: nothing leaks between requests.
        formset.actor = request.user  # type: ignore[attr-defined]
        return formset

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_see_user(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_see_user(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_see_user(request, obj)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "get_full_name", "tenant", "is_active", "is_staff", "date_joined"]
    list_filter = [
        "is_active",
        "is_staff",
        "is_superuser",
        "tenant__kind",
        "role_assignments__role",
    ]
    search_fields = ["email", "first_name", "last_name", "tenant__name"]
    list_select_related = ["tenant"]
    autocomplete_fields = ["tenant"]
    readonly_fields = ["id", "last_login", "date_joined"]
    inlines = [RoleAssignmentInline, AgentAccessInline]
    fieldsets = [
        (None, {"fields": ["id", "email", "password", "tenant"]}),
        ("Personal details", {"fields": ["first_name", "last_name", "job_title"]}),
        ("Status", {"fields": ["is_active", "must_change_password", "last_login", "date_joined"]}),
        (
            "Platform permissions",
            {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "tenant", "password1", "password2"]}),
    ]
    # What a partner admin sees of its own users: nothing it can change.
    scoped_fieldsets = [
        (None, {"fields": ["email", "first_name", "last_name", "job_title", "tenant"]}),
        ("Status", {"fields": ["is_active", "last_login"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        qs = super().get_queryset(request)
        if is_operator(request):
            return qs
        scoped = scoped_partner_admin(request)
        return qs.none() if scoped is None else qs.filter(tenant_id=scoped.tenant_id)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_see_user(request, None)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_see_user(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A partner admin "changes" a user only through the delegated access inline.
        return may_see_user(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_operator(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and not is_operator(request):
            return self.scoped_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if not is_operator(request):
            return [f for _, opts in self.scoped_fieldsets for f in opts["fields"]]
        return super().get_readonly_fields(request, obj)

    def get_list_filter(self, request: HttpRequest) -> Any:
        return super().get_list_filter(request) if is_operator(request) else ["is_active"]

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        inlines = super().get_inline_instances(request, obj)
        if obj is None or not obj.tenant.is_partner:
            inlines = [i for i in inlines if not isinstance(i, AgentAccessInline)]
        if not is_operator(request):
            inlines = [i for i in inlines if isinstance(i, AgentAccessInline)]
        return inlines

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        if not is_operator(request):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if is_operator(request):
            super().save_model(request, obj, form, change)
        # Otherwise every field is read-only: writing the row back could only undo
        # someone else's concurrent change.

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not AgentAccess:
            super().save_formset(request, form, formset, change)
            return
        # Through the service: re-checked, locked and audited like the portal's page.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed():
                continue
            existed = not inline_form.instance._state.adding
            level = str(inline_form.cleaned_data["level"])
            actor: User = request.user  # type: ignore[assignment]
            access = (
                agent_access_set_by_operator(operator=actor, staff_user=form.instance, level=level)
                if is_operator(request)
                else agent_access_set(partner_admin=actor, staff_user=form.instance, level=level)
            )
            if existed:
                formset.changed_objects.append((access, ["level"]))
            else:
                formset.new_objects.append(access)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = ["subject", "to", "kind", "status", "attempts", "created", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ServiceRequestCommentInline(admin.StackedInline):
    """Earlier comments read-only; one empty form to answer. Saving calls the services."""

    model = ServiceRequestComment
    extra = 1
    can_delete = False
    fields = ["author", "by_support", "created", "body"]
    readonly_fields = ["author", "by_support", "created"]
    verbose_name = "comment"
    verbose_name_plural = "Conversation"

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "tenant", "severity", "status", "created", "updated"]
    list_filter = ["status", "severity"]
    search_fields = ["title", "tenant__name", "contact_email", "created_by__email"]
    list_select_related = ["tenant"]
    ordering = ["-created"]
    inlines = [ServiceRequestCommentInline]
    fields = (
        "reference",
        "tenant",
        "title",
        "description",
        "severity",
        "status",
        "contact_name",
        "contact_email",
        "contact_phone",
        "created_by",
        "filed_on_behalf_by_partner",
        "relationship",
        "created",
        "updated",
    )
    readonly_fields = tuple(f for f in fields if f != "status")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # requests are filed from a tenant's admin center

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: ServiceRequest, form: Any, change: bool
    ) -> None:
        if change and "status" in form.changed_data:
            service_request_set_status(
                operator=request.user,  # type: ignore[arg-type]
                service_request=obj,
                status=form.cleaned_data["status"],
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not ServiceRequestComment:
            super().save_formset(request, form, formset, change)
            return
        for comment in formset.save(commit=False):
            if comment._state.adding and comment.body.strip():
                service_request_answer(
                    operator=request.user,  # type: ignore[arg-type]
                    service_request=form.instance,
                    body=comment.body,
                )
