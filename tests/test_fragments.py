"""Page fragments through Jinja2: escaped as Django escapes, dates and links as Django
writes them, and a field drawn as the Django template it replaced drew it."""

import copy
import uuid
from datetime import UTC, date, datetime

import jinja2
import pytest
from django import forms, template
from django.template import Context, Engine
from django.template.defaultfilters import date as date_filter
from django.urls import reverse, set_script_prefix
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from audit.forms import AuditFilterForm
from partnerportal import fragments
from partnerportal.fragments import render_fragment, url
from partnerportal.widgets import SharedChoicesSelect
from tests.test_renderers import EveryWidget, squeeze

# The Django template that drew a field before field.jinja, kept as the reference.
FIELD_TEMPLATE = """{% load reference %}
{% if field.is_hidden %}{{ field }}{% elif field|is_checkbox %}
<div class="form-check mb-3">
  {{ field|bs_widget }}
  <label class="form-check-label" for="{{ field.id_for_label }}">{{ field.label }}</label>
  {% if field.help_text %}<div class="form-text" id="{{ field.auto_id }}_help">{{ field.help_text|safe }}</div>{% endif %}
  {% if field.errors %}<div class="invalid-feedback d-block" id="{{ field.auto_id }}_errors">{{ field.errors|join:" " }}</div>{% endif %}
</div>
{% elif field|is_multi_choice %}
<fieldset class="mb-3">
  <legend class="form-label fs-6 fw-semibold">{{ field.label }}</legend>
  {% for choice in field %}
  <div class="form-check">
    <input class="form-check-input{% if field.errors %} is-invalid{% endif %}" type="{{ choice.data.type }}" name="{{ choice.data.name }}" value="{{ choice.data.value }}" id="{{ choice.id_for_label }}"{% if choice.data.selected %} checked{% endif %}{% if field.help_text %} aria-describedby="{{ field.auto_id }}_help"{% endif %}>
    <label class="form-check-label" for="{{ choice.id_for_label }}">{{ choice.choice_label }}</label>
  </div>
  {% endfor %}
  {% if field.help_text %}<div class="form-text" id="{{ field.auto_id }}_help">{{ field.help_text|safe }}</div>{% endif %}
  {% if field.errors %}<div class="invalid-feedback d-block" id="{{ field.auto_id }}_errors">{{ field.errors|join:" " }}</div>{% endif %}
</fieldset>
{% else %}
<div class="mb-3">
  <label class="form-label" for="{{ field.id_for_label }}">{{ field.label }}</label>{% if field.field.required %}<span class="required-mark" aria-hidden="true">*</span>{% endif %}
  {{ field|bs_widget }}
  {% if field.help_text %}<div class="form-text" id="{{ field.auto_id }}_help">{{ field.help_text|safe }}</div>{% endif %}
  {% if field.errors %}<div class="invalid-feedback d-block" id="{{ field.auto_id }}_errors">{{ field.errors|join:" " }}</div>{% endif %}
</div>
{% endif %}"""  # noqa: E501

register = template.Library()
register.filter(fragments.bs_widget)
register.filter(fragments.is_checkbox)
register.filter(fragments.is_multi_choice)


class WithHelp(forms.Form):
    flag = forms.BooleanField(help_text="Tick <em>it</em>", required=True)
    radio = forms.ChoiceField(
        choices=[("r", "R & r"), ("s", "S")], widget=forms.RadioSelect, help_text="Pick"
    )


BAD_DATA = {
    "text": "<script>",
    "choice": "b",
    "many": ["2"],
    "radio": "x",
    "number": "0",
    "when": "nope",
    "flag": "",
}


@pytest.mark.parametrize("data", [None, BAD_DATA])
@pytest.mark.parametrize("form_class", [EveryWidget, AuditFilterForm, WithHelp])
def test_a_field_renders_as_the_django_template_it_replaced(form_class, data):
    form = form_class(data)
    reference = Engine(libraries={"reference": __name__}).from_string(FIELD_TEMPLATE)
    for name in form.fields:
        field = form[name]
        ours = render_fragment("field.jinja", field=field)
        assert squeeze(ours) == squeeze(reference.render(Context({"field": field}))), name


def test_an_undefined_name_is_an_error_not_an_empty_string():
    with pytest.raises(jinja2.UndefinedError):
        render_fragment("field.jinja")


@pytest.mark.parametrize("micro", [0, 176_000])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "Pacific/Auckland"])
def test_dates_are_written_as_django_writes_them_in_the_current_zone(zone, micro):
    moment = datetime(2026, 3, 4, 23, 30, 5, micro, tzinfo=UTC)
    env = fragments.environment()
    with timezone.override(zone):
        local = timezone.localtime(moment)
        written = env.from_string("{{ value|iso }} {{ value|moment }} {{ value|day }}").render(
            value=moment, zone=timezone.get_current_timezone()
        )
        plain = env.from_string("{{ value|day }}").render(value=date(2027, 12, 1), zone=None)
    assert written == " ".join(
        [date_filter(local, "c"), date_filter(local, "j M Y, H:i:s"), date_filter(local, "j M Y")]
    )
    assert plain == "1 Dec 2027"


def test_a_link_is_the_path_reverse_gives():
    tenant_id, user_id = uuid.uuid4(), uuid.uuid4()
    assert url("tenants:users", tenant_id=tenant_id) == reverse(
        "tenants:users", kwargs={"tenant_id": tenant_id}
    )
    kwargs = {"tenant_id": tenant_id, "user_id": user_id}
    assert url("tenants:user-detail", **kwargs) == reverse("tenants:user-detail", kwargs=kwargs)
    # not a UUID: reversed as given
    assert url("delegation:lookup") == reverse("delegation:lookup")
    with pytest.raises(Exception, match="Reverse"):
        url("tenants:users", tenant_id="not-a-uuid")


def test_a_link_follows_the_script_prefix():
    tenant_id = uuid.uuid4()
    plain = url("tenants:users", tenant_id=tenant_id)
    set_script_prefix("/portal/")
    try:
        assert url("tenants:users", tenant_id=tenant_id) == "/portal" + plain
    finally:
        set_script_prefix("/")
    assert url("tenants:users", tenant_id=tenant_id) == plain


def test_the_links_of_a_list_are_the_paths_reverse_gives():
    # including ids that look like the stand-ins the paths are cached with
    tenant_id = uuid.UUID(int=2)
    make = fragments.link_maker("tenants:user-detail", "user_id", tenant_id=tenant_id)
    for user_id in [uuid.UUID(int=1), uuid.UUID(int=2), uuid.uuid4()]:
        kwargs = {"tenant_id": tenant_id, "user_id": user_id}
        assert make(user_id) == reverse("tenants:user-detail", kwargs=kwargs)
        assert url("tenants:user-detail", **kwargs) == reverse("tenants:user-detail", kwargs=kwargs)
    with pytest.raises(TypeError):
        fragments.link_maker("tenants:user-detail", "user_id", tenant_id="x")  # type: ignore[arg-type]


class Selects(forms.Form):
    plain = forms.ChoiceField(choices=[("", "Any"), ("a", "A & 'a'"), ("b", '<B> "b"')])
    optional = forms.ChoiceField(required=False, choices=[("x\"'<", "Odd value"), ("y", "Y")])
    numbers = forms.TypedChoiceField(coerce=int, choices=[(1, "One"), (2, "Two")], initial=2)
    styled = forms.ChoiceField(
        choices=[("a", "A")],
        help_text="Pick one",
        disabled=True,
        widget=forms.Select(attrs={"class": "wide", "data-x": "1", "autofocus": True}),
    )
    grouped = forms.ChoiceField(choices=[("Group", [("x", "X")]), ("z", "Z")])
    twice = forms.ChoiceField(choices=[("a", "First"), ("a", "Again")])
    marked = forms.ChoiceField(
        choices=[("s", mark_safe("<b>Safe</b>")), ("u", "<b>Unsafe</b>")],
        widget=forms.Select(attrs={"title": mark_safe("&amp; already")}),
    )
    shared = forms.ChoiceField(
        choices=[("a", "A & 'a'"), ("b", "B")],
        widget=SharedChoicesSelect(attrs={"class": "wide"}),
    )


def django_widget(field: forms.BoundField) -> str:
    """The widget as Django itself draws it, through its templates, with the attributes
    ``bs_widget`` gives it (a subclass of its own type is not drawn by the fragments)."""
    widget = field.field.widget
    field.field.widget = copy.copy(widget)
    field.field.widget.__class__ = type("TemplateWidget", (type(widget),), {})
    try:
        drawn = str(fragments.bs_widget(field))
    finally:
        field.field.widget = widget
    return drawn.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"plain": "a", "optional": "x\"'<", "numbers": "1", "twice": "a", "shared": "b"},
        {"plain": "nope", "optional": "<script>", "numbers": "9", "grouped": "x"},
    ],
)
def test_a_select_is_drawn_exactly_as_django_draws_it(data):
    form = Selects(data)
    for name in form.fields:
        field = form[name]
        assert str(fragments.bs_widget(field)) == django_widget(field), name


def test_a_select_is_drawn_without_a_template(monkeypatch):
    def no_templates(*args, **kwargs):
        raise AssertionError("a template was rendered")

    form = AuditFilterForm({"action": "user.created"})
    monkeypatch.setattr(forms.Select, "_render", no_templates)
    html = str(fragments.bs_widget(form["action"]))
    assert '<option value="user.created" selected>' in html
    assert html.count(" selected") == 1
    with pytest.raises(AssertionError, match="a template was rendered"):
        fragments.bs_widget(Selects()["grouped"])  # grouped choices: Django's templates


class Inputs(forms.Form):
    text = forms.CharField(max_length=20, help_text="Your name")
    optional = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "search"}))
    email = forms.EmailField(initial="a&b@example.test")
    secret = forms.CharField(widget=forms.PasswordInput)
    kept = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput, initial='"quoted"')
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    when = forms.DateTimeField(required=False)
    at = forms.TimeField(required=False)
    count = forms.IntegerField(min_value=1, max_value=9, localize=True)
    link = forms.URLField(required=False, disabled=True, assume_scheme="https")
    find = forms.CharField(required=False, widget=forms.SearchInput(attrs={"autofocus": True}))
    styled = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"class": "wide", "title": mark_safe("&amp; already")}),
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {
            "text": "<b>Lee</b> 'O\"Neil'",
            "email": "bad",
            "secret": "s3cret",
            "kept": "k&ept",
            "day": "2026-02-30",
            "when": "2026-11-29 10:00",
            "at": "25:00",
            "count": "12",
            "link": "javascript:alert(1)",
            "find": "%_\\",
        },
    ],
)
def test_an_input_is_drawn_exactly_as_django_draws_it(data):
    form = Inputs(data)
    for name in form.fields:
        field = form[name]
        assert str(fragments.bs_widget(field)) == django_widget(field), name


def test_an_input_is_drawn_without_a_template(monkeypatch):
    def no_templates(*args, **kwargs):
        raise AssertionError("a template was rendered")

    form = AuditFilterForm({"actor": "lee@fabrikam.example"})
    monkeypatch.setattr(forms.Widget, "_render", no_templates)
    html = str(fragments.bs_widget(form["actor"]))
    assert html.startswith('<input type="search" name="actor" value="lee@fabrikam.example"')


@pytest.mark.parametrize(
    "value",
    ["plain", "<a href='x'>&\"</a>", mark_safe("<b>safe</b>"), 42, None, gettext_lazy("Name")],
)
def test_escaping_is_djangos_conditional_escape(value):
    from django.utils.html import conditional_escape

    assert fragments.escape(value) == str(conditional_escape(value))


def test_a_role_code_reads_as_its_label_and_an_unknown_code_as_it_is():
    from tenants.roles import Role
    from tenants.templatetags.portal import role_label

    assert {code: role_label(code) for code in Role.values} == {
        role.value: str(role.label) for role in Role
    }
    assert role_label("no-such-role") == "no-such-role"


def test_links_to_several_views_are_the_paths_reverse_gives():
    tenant_id = uuid.UUID(int=1)  # like the stand-ins the paths are cached with
    link = fragments.view_linker("tenant_id")
    for view in ["tenants:users", "audit:log", "tenants:admin-center"]:
        assert link(view, tenant_id) == reverse(view, kwargs={"tenant_id": tenant_id})
    with pytest.raises(TypeError):
        link("audit:log", "x")  # type: ignore[arg-type]
    set_script_prefix("/portal/")
    try:
        assert fragments.view_linker("tenant_id")("audit:log", tenant_id) == (
            f"/portal/t/{tenant_id}/audit/"
        )
    finally:
        set_script_prefix("/")
