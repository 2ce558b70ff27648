"""The audit filter's action choices are never changed for other forms through one."""

from typing import Any

from audit.actions import Action
from audit.forms import AuditFilterForm


def actions(form: AuditFilterForm) -> Any:
    return form.fields["action"]


def test_one_forms_change_of_the_actions_stays_its_own():
    first, second = AuditFilterForm(), AuditFilterForm({"action": "user.created"})
    assert actions(first) is not actions(second)
    assert second.is_valid()
    assert second.cleaned_data["action"] == Action.USER_CREATED
    # when: one form narrows its own choices
    actions(first).choices = [("", "Any action")]
    # then: the others, and new forms, keep every action
    assert len(actions(second).choices) == len(Action.choices) + 1
    assert len(actions(AuditFilterForm()).choices) == len(Action.choices) + 1
    assert not AuditFilterForm({"action": "no.such"}).is_valid()


def test_one_widgets_change_of_the_actions_stays_its_own():
    first, second = AuditFilterForm(), AuditFilterForm()
    assert actions(first).widget is not actions(second).widget
    # when: one form's widget narrows its own options
    actions(first).widget.choices = [("", "Any action")]
    actions(first).widget.attrs["class"] = "narrow"
    # then: the others, and new forms, keep every action and their own attributes
    for form in (second, AuditFilterForm()):
        assert len(actions(form).widget.choices) == len(Action.choices) + 1
        assert "class" not in actions(form).widget.attrs
        assert str(form["action"]).count("<option") == len(Action.choices) + 1
