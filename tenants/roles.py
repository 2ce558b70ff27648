"""The one catalogue of directory roles and of the permissions they carry.

Every page that names a role (the consent page, the users list, the administrators
list) reads its label and description here, and the authorisation rule maps roles to
permissions through ``ROLE_PERMISSIONS`` only.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models


class Role(models.TextChoices):
    """A directory role a user holds in its home tenant (or a partner is granted)."""

    GLOBAL_ADMIN = "global_admin", "Global administrator"
    USER_ADMIN = "user_admin", "User administrator"
    PASSWORD_ADMIN = "password_admin", "Password administrator"
    BILLING_ADMIN = "billing_admin", "Billing administrator"
    SERVICE_SUPPORT_ADMIN = "service_support_admin", "Service support administrator"


class Permission(models.TextChoices):
    """An act in a tenant's admin center."""

    VIEW_TENANT = "tenant.view", "See the admin center, its users and domains"
    MANAGE_USERS = "users.manage", "Create, edit, disable and enable users"
    RESET_PASSWORDS = "users.reset_password", "Reset users' passwords"
    RESET_ADMIN_PASSWORDS = "users.reset_admin_password", "Reset any administrator's password"
    ASSIGN_ROLES = "roles.assign", "Assign and remove directory roles"
    MANAGE_DOMAINS = "domains.manage", "Add, verify and remove domains"
    VIEW_BILLING = "billing.view", "See subscriptions"
    MANAGE_BILLING = "billing.manage", "Change seats and cancel subscriptions"
    VIEW_SERVICE_REQUESTS = "service_requests.view", "Read service requests"
    MANAGE_SERVICE_REQUESTS = "service_requests.manage", "File, comment on and close requests"
    VIEW_ADMINISTRATORS = "administrators.view", "See the tenant's administrators"
    VIEW_AUDIT = "audit.view", "Read the audit log"
    MANAGE_PARTNERS = "partners.manage", "Remove and renew partner relationships"
    MANAGE_SETTINGS = "settings.manage", "Change the tenant's security settings"


@dataclass(frozen=True)
class RoleInfo:
    """How a role is shown to people: its name and what it lets its holder do."""

    role: Role
    summary: str
    can: tuple[str, ...]

    @property
    def label(self) -> str:
        return str(self.role.label)


ROLE_INFO: dict[Role, RoleInfo] = {
    Role.GLOBAL_ADMIN: RoleInfo(
        Role.GLOBAL_ADMIN,
        "Full control of the organisation's directory and services.",
        (
            "Create, edit, disable and delete users",
            "Reset any user's password, including other administrators'",
            "Assign and remove administrator roles",
            "Add, verify and remove domains",
            "Change subscriptions and billing",
            "File and manage service requests",
        ),
    ),
    Role.USER_ADMIN: RoleInfo(
        Role.USER_ADMIN,
        "Manages the organisation's users, but not administrators.",
        (
            "Create, edit, disable and enable users",
            "Reset passwords of non-administrators and password administrators",
            "File and manage service requests",
        ),
    ),
    Role.PASSWORD_ADMIN: RoleInfo(
        Role.PASSWORD_ADMIN,
        "Resets passwords of people who are not administrators.",
        (
            "See users",
            "Reset passwords of non-administrators and other password administrators",
        ),
    ),
    Role.BILLING_ADMIN: RoleInfo(
        Role.BILLING_ADMIN,
        "Manages subscriptions and billing.",
        (
            "See subscriptions",
            "Change the number of seats and cancel subscriptions",
            "File and manage service requests",
        ),
    ),
    Role.SERVICE_SUPPORT_ADMIN: RoleInfo(
        Role.SERVICE_SUPPORT_ADMIN,
        "Opens and follows service requests with the platform's support.",
        (
            "File service requests and follow them up",
            "See the organisation's administrators",
        ),
    ),
}

P = Permission
_READ = {P.VIEW_TENANT, P.VIEW_ADMINISTRATORS}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.GLOBAL_ADMIN: frozenset(Permission),
    Role.USER_ADMIN: frozenset(
        _READ
        | {
            P.MANAGE_USERS,
            P.RESET_PASSWORDS,
            P.VIEW_SERVICE_REQUESTS,
            P.MANAGE_SERVICE_REQUESTS,
        }
    ),
    Role.PASSWORD_ADMIN: frozenset(
        _READ | {P.RESET_PASSWORDS, P.VIEW_SERVICE_REQUESTS, P.MANAGE_SERVICE_REQUESTS}
    ),
    Role.BILLING_ADMIN: frozenset(
        _READ
        | {P.VIEW_BILLING, P.MANAGE_BILLING, P.VIEW_SERVICE_REQUESTS, P.MANAGE_SERVICE_REQUESTS}
    ),
    Role.SERVICE_SUPPORT_ADMIN: frozenset(
        _READ | {P.VIEW_SERVICE_REQUESTS, P.MANAGE_SERVICE_REQUESTS}
    ),
}

# ``Role.values`` builds a new list each time it is read.
ROLE_CODES: frozenset[str] = frozenset(role.value for role in Role)


def permissions_for(roles: Iterable[Role]) -> frozenset[Permission]:
    """The union of the permissions of ``roles``."""
    return frozenset[Permission]().union(*(ROLE_PERMISSIONS[Role(role)] for role in roles))
