"""Form widgets through Jinja2: the same HTML as Django's own renderer gives."""

import re

import pytest
from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.forms.renderers import DjangoTemplates

from audit.forms import AuditFilterForm
from partnerportal.renderers import PortalRenderer


class EveryWidget(forms.Form):
    text = forms.CharField(max_length=20, help_text="Help <b>text</b>")
    email = forms.EmailField(required=False)
    number = forms.IntegerField(min_value=1, max_value=9)
    when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    choice = forms.ChoiceField(choices=[("a", "A & a"), ("b", "<B>")])
    grouped = forms.ChoiceField(choices=[("Group", [("x", "X"), ("y", "Y")]), ("z", "Z")])
    many = forms.MultipleChoiceField(
        choices=[("1", "One"), ("2", "Two")], widget=forms.CheckboxSelectMultiple
    )
    radio = forms.ChoiceField(choices=[("r", "R"), ("s", "S")], widget=forms.RadioSelect)
    flag = forms.BooleanField(required=False)
    note = forms.CharField(widget=forms.Textarea, required=False)
    secret = forms.CharField(widget=forms.PasswordInput)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)


def squeeze(html: str) -> str:
    """Whitespace aside, and quotes as Django escapes them (Jinja2 writes &#39; and &#34;
    for &#x27; and &quot;: the same characters)."""
    html = html.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "text": "<script>",
            "choice": "b",
            "grouped": "y",
            "many": ["2"],
            "radio": "s",
            "flag": "on",
            "note": "a\n<b>",
            "secret": "x",
            "number": "0",
            "when": "nope",
        },
    ],
)
@pytest.mark.parametrize("form_class", [EveryWidget, AuditFilterForm])
def test_every_widget_renders_as_with_django_templates(form_class, data):
    ours, django = form_class(data), form_class(data)
    ours.renderer, django.renderer = PortalRenderer(), DjangoTemplates()
    for name in ours.fields:
        assert squeeze(str(ours[name])) == squeeze(str(django[name])), name
    assert squeeze(str(ours)) == squeeze(str(django))


def test_django_s_own_widgets_come_from_jinja2():
    from django.template.backends.jinja2 import Template as JinjaTemplate

    template = PortalRenderer().get_template("django/forms/widgets/select.html")
    assert isinstance(template, JinjaTemplate)


def test_a_widget_with_only_a_django_template_still_renders():
    html = AdminDateWidget().render("day", None, renderer=PortalRenderer())
    assert 'name="day"' in html
    assert "vDateField" in html
