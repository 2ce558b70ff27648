"""Forms of offers: what a partner asks for, and to whom it emails the offer."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from tenants.roles import ROLE_INFO, Role

from .models import MAX_RELATIONSHIP_DAYS, PRESET_ROLES, OfferPreset
from .services import DEFAULT_OFFER_VALIDITY_DAYS, MAX_SEND_RECIPIENTS, parse_recipients


@dataclass(frozen=True)
class DescribedChoice:
    """A choice's label for ``includes/field.html`` (not a tuple: that reads as a group)."""

    title: str
    summary: str
    detail: str = ""

    def __str__(self) -> str:
        return self.title


def _role_choice_label(role: Role) -> DescribedChoice:
    info = ROLE_INFO[role]
    return DescribedChoice(str(info.label), str(info.summary), "; ".join(info.can))


def _preset_label(preset: OfferPreset) -> DescribedChoice:
    if preset == OfferPreset.CUSTOM:
        return DescribedChoice("Custom selection of roles", "choose the roles below")
    roles = ", ".join(str(ROLE_INFO[r].label) for r in PRESET_ROLES[preset])
    return DescribedChoice(str(preset.label), roles)


class OfferCreateForm(forms.Form):
    """The access a partner asks for, for how long, and how long the link works."""

    preset = forms.ChoiceField(
        label="Access to ask for",
        choices=[(p.value, _preset_label(p)) for p in OfferPreset],
        initial=OfferPreset.FULL.value,
        widget=forms.RadioSelect,
    )
    roles = forms.MultipleChoiceField(
        label="Roles (for a custom selection)",
        choices=[(r.value, _role_choice_label(r)) for r in Role],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Used only with a custom selection. Ask for the least access that does the job.",
    )
    duration_days = forms.IntegerField(
        label="Relationship duration (days)",
        min_value=1,
        max_value=MAX_RELATIONSHIP_DAYS,
        initial=MAX_RELATIONSHIP_DAYS,
        help_text=f"How long the access lasts once a customer accepts: 1 to "
        f"{MAX_RELATIONSHIP_DAYS} days.",
    )
    valid_days = forms.IntegerField(
        label="The link works for (days)",
        min_value=1,
        max_value=3650,
        initial=DEFAULT_OFFER_VALIDITY_DAYS,
        required=False,
        help_text="Leave empty for a link that never expires.",
    )
    max_uses = forms.IntegerField(
        label="Number of customers who may accept",
        min_value=1,
        required=False,
        help_text="Leave empty for unlimited.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("preset") == OfferPreset.CUSTOM and not data.get("roles"):
            self.add_error("roles", "Choose at least one role for a custom selection.")
        return data

    def expires_at(self) -> datetime | None:
        days = self.cleaned_data.get("valid_days")
        return timezone.now() + timedelta(days=days) if days else None


class OfferSendForm(forms.Form):
    """Addresses to email the offer text to; ``send_id`` makes a double submit harmless."""

    recipients = forms.CharField(
        label="Email the offer to",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=f"One address per line, or separated by commas (at most {MAX_SEND_RECIPIENTS}).",
    )
    send_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_recipients(self) -> list[str]:
        return parse_recipients(self.cleaned_data["recipients"])

    def full_clean(self) -> None:
        super().full_clean()
        # The hidden field is not shown, nor would its error be: say it where it is read.
        if self.errors.pop("send_id", None):
            self.add_error(None, "This form was incomplete. Reload the page and send it again.")
