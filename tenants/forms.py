"""Forms of the directory."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .services import domain_is_taken, normalize_domain


class OrganisationSignupForm(forms.Form):
    """Extra sign-up fields: the new customer organisation and its domain.

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
    field_order = ["organisation", "domain", "email", "password1", "password2"]

    def clean_organisation(self) -> str:
        value = " ".join(self.cleaned_data["organisation"].split())
        if not value:
            raise ValidationError("Enter your organisation's name.")
        return value

    def clean_domain(self) -> str:
        name = normalize_domain(self.cleaned_data["domain"])
        if domain_is_taken(name):
            raise ValidationError(
                "This domain already belongs to an organisation on the portal. "
                "Ask that organisation's administrator to invite you instead."
            )
        return name

    def signup(self, request: Any, user: Any) -> None:
        """Nothing left to do: the adapter saved the tenant with the user."""
