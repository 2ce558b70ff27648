"""One way to write a date for people: "7 Mar 2026", and a moment with its time and zone,
"7 Mar 2026, 14:03 UTC", on every page and in every mail (CSV keeps ISO 8601)."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines

from partnerportal.jinja import day, moment
from tenants.mail import render_email

TEMPLATES = Path(settings.BASE_DIR) / "templates"
WHEN = datetime(2027, 3, 7, 14, 3, 9, tzinfo=UTC)
# What a template may ask of Django's ``date`` filter: the settings' formats by name.
ALLOWED = {"", "DATE_FORMAT", "DATETIME_FORMAT"}
DATE_FILTER = re.compile(r"\|\s*(date|time)\b(?::\s*([\"'])(.*?)\2)?")


def template_files():
    return sorted(
        p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt", ".jinja"} and p.is_file()
    )


def test_templates_name_no_date_format_of_their_own():
    found = [
        f"{path.relative_to(TEMPLATES)}: |{m.group(1)}:{m.group(3)}"
        for path in template_files()
        for m in DATE_FILTER.finditer(path.read_text())
        if m.group(1) == "time" or (m.group(3) or "") not in ALLOWED
    ]
    assert found == []


def test_the_two_formats_in_both_engines():
    django = engines["django"].from_string('{{ d|date }} / {{ d|date:"DATETIME_FORMAT" }}')
    assert django.render({"d": WHEN}) == "7 Mar 2027 / 7 Mar 2027, 14:03 UTC"
    assert day(WHEN) == "7 Mar 2027"
    assert moment(WHEN) == "7 Mar 2027, 14:03:09 UTC"  # the audit log, to the second


@pytest.mark.django_db
def test_a_mail_says_a_moment_with_its_zone():
    from tests.factories import make_partner, make_relationship, make_tenant, make_user

    partner, customer = make_partner(), make_tenant()
    relationship = make_relationship(partner, customer)
    relationship.expires = WHEN
    subject, text, _ = render_email(
        "emails/relationships/renewed",
        {
            "relationship": relationship,
            "partner": partner,
            "customer": customer,
            "acting_user": make_user(customer),
            "previous_expires": datetime(2026, 12, 6, 4, 48, tzinfo=UTC),
        },
    )
    assert "until 7 Mar 2027" in subject
    assert "Was to end on: 6 Dec 2026, 04:48 UTC" in text
    assert "Now ends on:   7 Mar 2027, 14:03 UTC" in text
