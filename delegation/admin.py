"""Django admin for technician teams: platform operators read teams, their members and
their access assignments; nobody changes them here (partner admins do, through the
services, where each change is checked and audited)."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tenants.roles import Role

from .models import AccessAssignment, Team, TeamMembership


class ReadOnlyForOperators:
    """Seen by platform operators (superusers) only, and changed by nobody."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _role_labels(codes: list[str]) -> str:
    return ", ".join(str(Role(c).label) if c in Role.values else c for c in codes)


class TeamMembershipInline(ReadOnlyForOperators, admin.TabularInline):
    model = TeamMembership
    fields = ("user", "added_at")
    readonly_fields = ("user", "added_at")
    extra = 0


class AccessAssignmentInline(ReadOnlyForOperators, admin.TabularInline):
    model = AccessAssignment
    fields = ("relationship", "roles_shown", "updated")
    readonly_fields = ("relationship", "roles_shown", "updated")
    extra = 0

    @admin.display(description="roles")
    def roles_shown(self, obj: AccessAssignment) -> str:
        return _role_labels(obj.roles)


@admin.register(Team)
class TeamAdmin(ReadOnlyForOperators, admin.ModelAdmin):
    list_display = ("name", "partner", "members", "description")
    list_filter = ("partner",)
    search_fields = ("name", "partner__name")
    fields = ("partner", "name", "description", "created", "updated")
    readonly_fields = fields
    inlines = [TeamMembershipInline, AccessAssignmentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return (
            super()
            .get_queryset(request)
            .select_related("partner")
            .prefetch_related("memberships__user")
        )

    @admin.display(description="members")
    def members(self, obj: Team) -> str:
        return ", ".join(sorted(m.user.email for m in obj.memberships.all()))


@admin.register(AccessAssignment)
class AccessAssignmentAdmin(ReadOnlyForOperators, admin.ModelAdmin):
    list_display = ("team", "partner", "customer", "roles_shown", "updated")
    list_filter = ("team__partner",)
    search_fields = ("team__name", "team__partner__name", "relationship__customer__name")
    fields = ("team", "relationship", "roles", "created", "updated")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessAssignment]:
        return (
            super().get_queryset(request).select_related("team__partner", "relationship__customer")
        )

    @admin.display(description="partner")
    def partner(self, obj: AccessAssignment) -> str:
        return obj.team.partner.name

    @admin.display(description="customer")
    def customer(self, obj: AccessAssignment) -> str:
        return obj.relationship.customer.name if obj.relationship else "Every customer"

    @admin.display(description="roles")
    def roles_shown(self, obj: AccessAssignment) -> str:
        return _role_labels(obj.roles)
