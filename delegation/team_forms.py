"""Forms of the partner's team pages: teams, members, access assignments, customer groups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.html import format_html

from tenants.models import Tenant, User
from tenants.roles import Role
from tenants.selectors import uuid_or_none

from .models import CustomerGroup, Relationship

DEFAULT = "default"
NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 1000
NOT_A_TARGET = "Choose every customer or a customer from the list."
NOT_A_CUSTOMER = "Choose customers from the list."


class CustomerSearchForm(forms.Form):
    """The search box of a page that lists customers a page at a time."""

    q = forms.CharField(
        label="Customer name contains",
        max_length=NAME_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    @property
    def query(self) -> str:
        """The text searched for; nothing when it is not a valid search."""
        return self.cleaned_data["q"] if self.is_valid() else ""


class TeamForm(forms.Form):
    name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH)
    description = forms.CharField(
        label="Description",
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the team does, for the partner admins who come after you.",
    )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.display_name
        return name if name == obj.email else f"{name} ({obj.email})"


class MemberAddForm(forms.Form):
    user = StaffChoiceField(
        label="Add a member",
        queryset=User.objects.none(),
        empty_label="Choose a staff member",
        error_messages={"invalid_choice": "Choose a staff member from the list."},
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(StaffChoiceField, self.fields["user"]).queryset = staff


def _roles_field(label: str = "Roles") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one role.",
            "invalid_choice": "Choose roles from the list.",
        },
    )


class AssignmentForm(forms.Form):
    """The roles a team holds in one customer, or by default in every customer.

    A partner may have thousands of customers: the page offers only some of them
    (``show``), and ``target`` is checked against all of ``relationships`` in one query."""

    target = forms.CharField(
        label="Where",
        widget=forms.Select,
        error_messages={"required": NOT_A_TARGET},
    )
    roles = _roles_field()

    def __init__(self, *args: Any, relationships: QuerySet[Relationship], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_set_%s")  # its roles beside the bulk form's
        super().__init__(*args, **kwargs)
        self.relationships = relationships
        self.chosen: Relationship | None = None

    def show(self, relationships: Iterable[Relationship], *, total: int, query: str = "") -> None:
        """Offer the default and ``relationships`` (some of ``total`` customers, those whose
        name contains ``query`` if given), and the customer already chosen."""
        offered = list(relationships)
        field = self.fields["target"]
        if query and not total:
            field.help_text = format_html("No customer's name contains “{}”.", query)
        elif total > len(offered):
            field.help_text = (
                format_html(
                    "Showing {} of {} customers whose name contains “{}”: narrow the "
                    "search to find another.",
                    f"{len(offered):,}",
                    f"{total:,}",
                    query,
                )
                if query
                else f"Showing {len(offered):,} of {total:,} customers: search by name to "
                "find another."
            )
        if self.chosen is not None and self.chosen.pk not in {r.pk for r in offered}:
            offered.insert(0, self.chosen)
        widget = cast(forms.Select, field.widget)
        widget.choices = [(DEFAULT, "Every customer (the default)")] + [
            (str(r.pk), r.customer.name) for r in offered
        ]

    def clean_target(self) -> str:
        value = self.cleaned_data["target"]
        if value == DEFAULT:
            return value
        pk = uuid_or_none(value)
        found = self.relationships.filter(pk=pk).first() if pk else None
        if found is None:
            raise forms.ValidationError(NOT_A_TARGET, code="invalid_choice")
        self.chosen = found
        return str(found.pk)

    @property
    def relationship(self) -> Relationship | None:
        """The chosen relationship of the valid form; None for the default."""
        return self.chosen


class BulkAssignmentForm(forms.Form):
    """The roles a team holds in a set of customers: a group's, or those a name matches."""

    group = forms.ModelChoiceField(
        label="Every customer in the group",
        queryset=CustomerGroup.objects.none(),
        required=False,
        empty_label="No group",
        error_messages={"invalid_choice": "Choose a customer group from the list."},
    )
    name_contains = forms.CharField(
        label="Or customers whose name contains",
        max_length=NAME_MAX_LENGTH,
        required=False,
    )
    roles = _roles_field()

    def __init__(self, *args: Any, groups: QuerySet[CustomerGroup], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_bulk_%s")
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["group"])
        field.queryset = groups

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = (data.get("name_contains") or "").strip()
        data["name_contains"] = name
        if "group" not in data:
            return data  # the group's own error says what is wrong
        if data.get("group") and name:
            raise forms.ValidationError(
                "Choose a customer group or type part of a name, not both.", code="target"
            )
        if not data.get("group") and not name:
            raise forms.ValidationError(
                "Choose a customer group or type part of a name.", code="target"
            )
        return data


class CustomersField(forms.ModelMultipleChoiceField):
    """Customers by id; any value that is not one of them (not even an id) is refused with
    the same words."""

    def clean(self, value: Any) -> Any:
        try:
            return super().clean(value)
        except forms.ValidationError as exc:
            raise forms.ValidationError(NOT_A_CUSTOMER, code="invalid_choice") from exc


class CustomerGroupForm(forms.Form):
    """A group's name, and its customers a page at a time: ``shown`` are the customers
    the page listed, ``customers`` those of them ticked. Both are checked against all of
    ``customers`` (one query each); the page lists only those given to ``show``."""

    name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH)
    customers = CustomersField(
        label="Customers",
        queryset=Tenant.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    shown = CustomersField(
        queryset=Tenant.objects.none(), required=False, widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args: Any, customers: QuerySet[Tenant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("customers", "shown"):
            cast(forms.ModelMultipleChoiceField, self.fields[name]).queryset = customers

    def show(self, customers: Iterable[Tenant]) -> None:
        """List ``customers`` (a page of them) as the boxes to tick."""
        widget = cast(forms.CheckboxSelectMultiple, self.fields["customers"].widget)
        widget.choices = [(c.pk, c.name) for c in customers]
