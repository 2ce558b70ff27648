"""Forms of the directory."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .models import ServiceRequestSeverity
from .roles import Role
from .services import DOMAIN_TAKEN, domain_is_taken, normalize_domain


class OrganisationSignupForm(forms.Form):
    """Extra sign-up fields: the new customer organisation and its domain, and the
    admin's own name, by which the portal and its mail address them.

    allauth mixes this into its own sign-up form; the account adapter creates the
    tenant from ``cleaned_data`` in the same transaction as the user.
    """

    organisation = forms.CharField(
        label="Organisation name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    domain = forms.CharField(
        label="Your organisation's domain",
        max_length=253,
        help_text="The DNS name your organisation uses for email, such as contoso.com.",
    )
    first_name = forms.CharField(
        label="First name",
        max_length=150,
        error_messages={"required": "Enter your first name."},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        error_messages={"required": "Enter your last name."},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    field_order = [
        "organisation",
        "domain",
        "first_name",
        "last_name",
        "email",
        "password1",
        "password2",
    ]

    def clean_organisation(self) -> str:
        value = " ".join(self.cleaned_data["organisation"].split())
        if not value:
            raise ValidationError("Enter your organisation's name.")
        return value

    def clean_domain(self) -> str:
        name = normalize_domain(self.cleaned_data["domain"])
        if domain_is_taken(name):
            raise ValidationError(
                "This domain is already verified by an organisation on the portal. "
                "Ask that organisation's administrator to invite you instead."
            )
        return name

    def signup(self, request: Any, user: Any) -> None:
        """Nothing left to do: the adapter saved the tenant with the user."""


# --- The admin center ---------------------------------------------------------------------


class UserSearchForm(forms.Form):
    """The users list's search box (GET)."""

    q = forms.CharField(label="Search users", max_length=100, required=False)

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())


class UserEditForm(forms.Form):
    """What an administrator may change about a user: its name and job title."""

    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    job_title = forms.CharField(max_length=150, required=False)


class UserCreateForm(UserEditForm):
    """A new user of the tenant; its address must be in one of the tenant's verified domains.

    It offers only the roles the actor may grant (``grantable``; none: no roles field).
    Any role of the catalogue validates, so that a forged one reaches the service, which
    refuses it with its reason.
    """

    email = forms.EmailField(
        label="Email address (sign-in name)",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    roles = forms.TypedMultipleChoiceField(
        label="Administrator roles",
        choices=Role.choices,
        coerce=Role,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only the roles whose every permission you hold yourself are offered.",
    )
    field_order = ["email"]

    def __init__(
        self,
        *args: Any,
        verified_domains: list[str],
        grantable: list[Role] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if grantable:
            self.fields["roles"].widget.choices = [(r.value, r.label) for r in grantable]
        else:
            del self.fields["roles"]
        self.verified_domains = verified_domains
        if verified_domains:
            self.fields["email"].help_text = "In one of these domains: " + ", ".join(
                verified_domains
            )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if not self.verified_domains:
            raise ValidationError(
                "No domain of the organisation is verified yet. Verify one under Domains, "
                "then add the user."
            )
        if email.rpartition("@")[2] not in self.verified_domains:
            raise ValidationError(
                "The address must be in one of the organisation's verified domains."
            )
        return email


class RoleChangeForm(forms.Form):
    """Assign or remove one directory role (POST from the user's page).

    It offers only ``grantable`` roles; any role of the catalogue validates, so that a
    forged one reaches the service, which refuses it with its reason.
    """

    ASSIGN = "assign"
    REMOVE = "remove"

    role = forms.TypedChoiceField(choices=Role.choices, coerce=Role)
    operation = forms.ChoiceField(choices=[(ASSIGN, "Assign"), (REMOVE, "Remove")])

    def __init__(self, *args: Any, grantable: list[Role] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].widget.choices = [(r.value, r.label) for r in grantable or []]


class DomainAddForm(forms.Form):
    name = forms.CharField(
        label="Domain name",
        max_length=253,
        help_text="Such as contoso.com. It starts unverified: you then prove it by a TXT record.",
    )

    def clean_name(self) -> str:
        name = normalize_domain(self.cleaned_data["name"])
        if domain_is_taken(name):
            raise ValidationError(DOMAIN_TAKEN)
        return name


class SubscriptionSeatsForm(forms.Form):
    seats = forms.IntegerField(label="Seats", min_value=1, max_value=100_000)


class ServiceRequestForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10_000,
        help_text="What happened, what you expected, and since when.",
    )
    severity = forms.ChoiceField(
        choices=ServiceRequestSeverity.choices, initial=ServiceRequestSeverity.NORMAL
    )
    contact_name = forms.CharField(label="Contact name", max_length=200)
    contact_email = forms.EmailField(label="Contact email", max_length=254)
    contact_phone = forms.CharField(label="Contact phone", max_length=40, required=False)


class ServiceRequestCommentForm(forms.Form):
    body = forms.CharField(
        label="Comment", widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise ValidationError("Write a comment first.")
        return body
