"""Django admin for the directory, shaped for platform operators."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from delegation.models import AgentAccess

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
from .services import service_request_answer, service_request_set_status


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["name", "verified", "is_default"]


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ["plan", "seats", "status", "renewal_date"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
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
        for d in obj.domains.all():
            if d.is_default:
                return d.name
        return "—"


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "verified", "is_default", "created"]
    list_filter = ["verified", "is_default"]
    search_fields = ["name", "tenant__name"]
    list_select_related = ["tenant"]
    autocomplete_fields = ["tenant"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["plan", "tenant", "seats", "status", "renewal_date"]
    list_filter = ["status", "plan"]
    search_fields = ["plan", "tenant__name"]
    list_select_related = ["tenant"]
    autocomplete_fields = ["tenant"]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fields = ["role"]


class AgentAccessInline(admin.StackedInline):
    model = AgentAccess
    can_delete = False
    extra = 0
    max_num = 1
    fields = ["level"]
    verbose_name_plural = "Delegated access (partner staff)"


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
        (
            "Status",
            {"fields": ["is_active", "must_change_password", "last_login", "date_joined"]},
        ),
        (
            "Platform permissions",
            {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "tenant", "password1", "password2"]}),
    ]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "to", "kind", "status", "attempts", "created", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# --- Service requests: platform operators answer and change status -------------------------


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
    FIELDS: tuple[str, ...] = (
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
    fields = FIELDS
    readonly_fields = tuple(f for f in FIELDS if f != "status")

    @admin.display(description="Reference")
    def reference(self, obj: ServiceRequest) -> str:
        return obj.reference

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
