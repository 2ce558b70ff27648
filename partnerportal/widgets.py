"""Widgets of the portal's forms."""

from __future__ import annotations

from typing import Any

from django import forms


class SharedChoicesSelect(forms.Select):
    """A ``Select`` whose options never change: a form's copy of it shares them.

    Every form deep-copies its fields' widgets, and a ``Select`` copies its choices with
    itself and normalises them again: forty actions for each page of the audit log, to be
    read only. Setting a copy's ``choices`` changes that copy alone, as for any widget.
    It is drawn as a plain ``Select`` is.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedChoicesSelect:
        # Widget's copy (its own attributes), not ChoiceWidget's.
        result: SharedChoicesSelect = forms.Widget.__deepcopy__(self, memo)
        return result
