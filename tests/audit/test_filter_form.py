"""The audit filter's fixed choices are shared by its forms, never changed through one."""

from typing import Any

from audit.actions import Action
from audit.forms import AuditFilterForm


def actions(form: AuditFilterForm) -> Any:
    return form.fields["action"]


def test_forms_share_the_actions_and_one_forms_change_stays_its_own():
    first, second = AuditFilterForm(), AuditFilterForm({"action": "user.created"})
    assert actions(first).choices is actions(second).choices
    assert actions(first) is not actions(second)
    assert second.is_valid()
    assert second.cleaned_data["action"] == Action.USER_CREATED
    # when: one form narrows its own choices
    actions(first).choices = [("", "Any action")]
    # then: the others, and new forms, keep every action
    assert len(actions(second).choices) == len(Action.choices) + 1
    assert len(actions(AuditFilterForm()).choices) == len(Action.choices) + 1
    assert not AuditFilterForm({"action": "no.such"}).is_valid()
