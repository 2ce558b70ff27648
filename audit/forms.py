"""The audit log's filters (read from the query string)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID

from django import forms
from django.utils import timezone

from .actions import Action
from .models import AuditEventQuerySet


class AuditFilterForm(forms.Form):
    actor = forms.CharField(
        label="Actor email",
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    partner = forms.ChoiceField(label="Partner", required=False)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *Action.choices]
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self, *args: Any, partners: Sequence[tuple[UUID, str]] = (), **kwargs: Any
    ) -> None:
        """``partners``: (id, name) of each partner the tenant has had, to filter by."""
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [  # type: ignore[attr-defined]
            ("", "Anyone"),
            *[(str(pk), name) for pk, name in partners],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("The start date is after the end date.")
        return data

    def filters(self) -> dict[str, Any]:
        """The valid filters as ``AuditEventQuerySet.matching`` takes them."""
        data = self.cleaned_data if self.is_valid() else {}
        tz = timezone.get_current_timezone()
        start, end = data.get("date_from"), data.get("date_to")
        return {
            "actor": data["actor"].strip().lower() if data.get("actor") else None,
            "partner": data.get("partner") or None,
            "action": data.get("action") or None,
            "since": datetime.combine(start, time.min, tz) if start else None,
            "until": datetime.combine(end, time.min, tz) + timedelta(days=1) if end else None,
        }

    def apply(self, qs: AuditEventQuerySet) -> AuditEventQuerySet:
        """Narrow ``qs`` by the valid filters (an invalid form filters nothing)."""
        return qs.matching(**self.filters())

    def query_items(self) -> list[tuple[str, str]]:
        """The filters as query-string pairs, for paging and export links."""
        if not self.is_bound:
            return []
        return [
            (name, str(self.data.get(name)))
            for name in self.fields
            if self.data.get(name) not in (None, "")
        ]
