"""The catalogue of audit action codes. Codes are stable: exports and filters use them."""

from django.db import models


class Action(models.TextChoices):
    SIGN_IN = "auth.sign_in", "Signed in"
    SIGN_IN_FAILED = "auth.sign_in_failed", "Failed sign-in"
    SIGN_OUT = "auth.sign_out", "Signed out"
    PASSWORD_CHANGED = "auth.password_changed", "Changed own password"
    PASSWORD_RESET_BY_EMAIL = "auth.password_reset", "Reset own password by email"
    MFA_ENABLED = "auth.mfa_enabled", "Turned on two-factor authentication"
    MFA_DISABLED = "auth.mfa_disabled", "Turned off two-factor authentication"
    MFA_RECOVERY_CODES_REGENERATED = "auth.mfa_recovery_codes", "Generated new recovery codes"
    SIGNED_UP = "tenant.signed_up", "Signed up and created the organisation"
    TENANT_SETTINGS_CHANGED = "tenant.settings_changed", "Changed tenant settings"
    ADMIN_CENTER_ENTERED = "delegation.entered", "Entered the admin center on the customer's behalf"
    USER_CREATED = "user.created", "Created a user"
    USER_UPDATED = "user.updated", "Edited a user"
    USER_DISABLED = "user.disabled", "Disabled a user"
    USER_ENABLED = "user.enabled", "Enabled a user"
    USER_PASSWORD_RESET = "user.password_reset", "Reset a user's password"
    ROLE_ASSIGNED = "role.assigned", "Assigned a directory role"
    ROLE_REMOVED = "role.removed", "Removed a directory role"
    DOMAIN_ADDED = "domain.added", "Added a domain"
    DOMAIN_VERIFIED = "domain.verified", "Verified a domain"
    DOMAIN_DEFAULT_SET = "domain.default_set", "Made a domain the default"
    DOMAIN_REMOVED = "domain.removed", "Removed a domain"
    SUBSCRIPTION_SEATS_CHANGED = "subscription.seats_changed", "Changed subscription seats"
    SUBSCRIPTION_CANCELLED = "subscription.cancelled", "Cancelled a subscription"
    SERVICE_REQUEST_CREATED = "service_request.created", "Filed a service request"
    SERVICE_REQUEST_COMMENTED = "service_request.commented", "Commented on a service request"
    SERVICE_REQUEST_UPDATED = "service_request.updated", "Updated a service request"
    SERVICE_REQUEST_CLOSED = "service_request.closed", "Closed a service request"
    OFFER_CREATED = "offer.created", "Created a delegated administration offer"
    OFFER_REVOKED = "offer.revoked", "Revoked an offer"
    OFFER_SENT = "offer.sent", "Emailed an offer"
    OFFER_ACCEPTED = "offer.accepted", "Accepted a partner's offer"
    OFFER_DECLINED = "offer.declined", "Declined a partner's offer"
    RELATIONSHIP_CREATED = "relationship.created", "Granted a partner delegated access"
    RELATIONSHIP_UPDATED = "relationship.updated", "Changed a partner's delegated access"
    RELATIONSHIP_RENEWED = "relationship.renewed", "Renewed a partner relationship"
    RELATIONSHIP_TERMINATED = "relationship.terminated", "Removed a partner relationship"
    RELATIONSHIP_ENDED_BY_PARTNER = (
        "relationship.ended_by_partner",
        "Ended the relationship from the partner's side",
    )
    RELATIONSHIP_EXPIRED = "relationship.expired", "A partner relationship expired"
    AGENT_ACCESS_CHANGED = "staff.access_changed", "Changed a staff member's delegated access"
