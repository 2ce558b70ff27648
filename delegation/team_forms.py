"""Forms of the partner's team pages: teams, members, access assignments, customer groups."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from tenants.models import Tenant, User
from tenants.roles import Role

from .models import CustomerGroup, Relationship

DEFAULT = "default"
NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 1000


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
    """The roles a team holds in one customer, or by default in every customer."""

    target = forms.ChoiceField(
        label="Where",
        error_messages={"invalid_choice": "Choose every customer or a customer from the list."},
    )
    roles = _roles_field()

    def __init__(self, *args: Any, relationships: QuerySet[Relationship], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_set_%s")  # its roles beside the bulk form's
        super().__init__(*args, **kwargs)
        self.relationships = {str(r.pk): r for r in relationships}
        field = cast(forms.ChoiceField, self.fields["target"])
        field.choices = [(DEFAULT, "Every customer (the default)")] + [
            (pk, r.customer.name) for pk, r in self.relationships.items()
        ]

    @property
    def relationship(self) -> Relationship | None:
        """The chosen relationship of the valid form; None for the default."""
        return self.relationships.get(self.cleaned_data["target"])


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


class CustomerGroupForm(forms.Form):
    name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH)
    customers = forms.ModelMultipleChoiceField(
        label="Customers",
        queryset=Tenant.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "Choose customers from the list.",
            "invalid_pk_value": "Choose customers from the list.",
        },
    )

    def __init__(self, *args: Any, customers: QuerySet[Tenant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelMultipleChoiceField, self.fields["customers"])
        field.queryset = customers
