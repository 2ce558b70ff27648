"""Forms of the partner's pages."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import AccessLevel
from .selectors import LOOKUP_MAX_LENGTH

YES, NO = "yes", "no"


class AgentAccessForm(forms.Form):
    """The staff member's "Assign administrative access to companies you support"."""

    assign = forms.ChoiceField(
        label="Assign administrative access to companies you support",
        choices=[(YES, "Yes"), (NO, "No")],
        widget=forms.RadioSelect,
    )
    level = forms.ChoiceField(
        label="Administrative access",
        choices=[
            (
                AccessLevel.FULL,
                "Full administration — the privileges of a global admin in each "
                "customer's tenant, within the roles that customer granted",
            ),
            (
                AccessLevel.LIMITED,
                "Limited administration — the privileges of a password admin: see "
                "users and administrators, reset passwords of non-administrators and "
                "password admins, file service requests",
            ),
        ],
        widget=forms.RadioSelect,
        required=False,
        help_text="Needed when you choose Yes.",
    )

    @classmethod
    def for_level(cls, level: str, **kwargs: Any) -> AgentAccessForm:
        """The form showing a stored ``level``."""
        initial = {"assign": NO} if level == AccessLevel.NONE else {"assign": YES, "level": level}
        return cls(initial=initial, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("assign") == YES and not data.get("level"):
            self.add_error("level", "Choose Full administration or Limited administration.")
        return data

    @property
    def chosen_level(self) -> str:
        """The level the valid form asks for."""
        if self.cleaned_data["assign"] == NO:
            return AccessLevel.NONE
        return str(self.cleaned_data["level"])


class LookupForm(forms.Form):
    """One search box: a domain, part of a tenant name, or a user's email."""

    q = forms.CharField(
        label="Domain, organisation name or user's email",
        max_length=LOOKUP_MAX_LENGTH,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text="For example contoso.example, Contoso or megan@contoso.example.",
    )
