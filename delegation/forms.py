"""Forms of the partner's pages."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import AccessLevel
from .selectors import LOOKUP_MAX_LENGTH

YES, NO = "yes", "no"


LEVEL_CHOICES: list[tuple[str, str]] = [
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
    (
        AccessLevel.TEAMS,
        "Through teams — in each customer, only the roles the staff member's "
        "teams hold there, within the roles that customer granted",
    ),
]


class AgentAccessForm(forms.Form):
    """The staff member's "Assign administrative access to companies you support"."""

    assign = forms.ChoiceField(
        label="Assign administrative access to companies you support",
        choices=[(YES, "Yes"), (NO, "No")],
        widget=forms.RadioSelect,
    )
    level = forms.ChoiceField(
        label="Administrative access",
        choices=LEVEL_CHOICES,
        widget=forms.RadioSelect,
        required=False,
        help_text="Needed when you choose Yes.",
    )

    def __init__(self, *args: Any, teams: bool = True, **kwargs: Any) -> None:
        """``teams``: whether "Through teams" is offered. It is only where it leads
        somewhere: the partner has teams, or the person is in that mode already."""
        super().__init__(*args, **kwargs)
        if not teams:
            self.fields["level"].choices = [c for c in LEVEL_CHOICES if c[0] != AccessLevel.TEAMS]  # type: ignore[attr-defined]

    @classmethod
    def for_level(cls, level: str, **kwargs: Any) -> AgentAccessForm:
        """The form showing a stored ``level``."""
        initial = {"assign": NO} if level == AccessLevel.NONE else {"assign": YES, "level": level}
        return cls(initial=initial, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("assign") == YES and not data.get("level"):
            self.add_error(
                "level", "Choose Full administration, Limited administration or through teams."
            )
        return data

    @property
    def chosen_level(self) -> str:
        """The level the valid form asks for."""
        if self.cleaned_data["assign"] == NO:
            return AccessLevel.NONE
        return str(self.cleaned_data["level"])


class StaffNameFields(forms.Form):
    """A staff member's first and last name."""

    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)


class StaffAddForm(StaffNameFields, AgentAccessForm):
    """A new staff member: its name, its work address, and its delegated access."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="In one of your verified domains. An invitation to choose a password "
        "goes to this address.",
    )

    field_order = ["first_name", "last_name", "email", "assign", "level"]


class StaffEditForm(StaffNameFields, AgentAccessForm):
    """A staff member's name and delegated access."""

    field_order = ["first_name", "last_name", "assign", "level"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A user may have come without a name (the first admin does): no name is no error.
        self.fields["first_name"].required = False
        self.fields["last_name"].required = False

    @classmethod
    def for_user(cls, user: Any, level: str, **kwargs: Any) -> StaffEditForm:
        """The form showing ``user``'s name and its stored ``level``."""
        initial = {"first_name": user.first_name, "last_name": user.last_name}
        initial.update({"assign": NO} if level == AccessLevel.NONE else {"assign": YES})
        if level != AccessLevel.NONE:
            initial["level"] = level
        return cls(initial=initial, **kwargs)


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
