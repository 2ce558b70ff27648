"""Every mail of the portal: subjects and plain text say a name as it is, HTML escapes it."""

from pathlib import Path

import pytest
from django.conf import settings

from tenants.mail import render_email

NAME = "O'Brien & <Sons>\nLtd"
TEMPLATES = Path(settings.BASE_DIR) / "templates"
PREFIXES = sorted(
    str(path.relative_to(TEMPLATES))[: -len("_subject.txt")]
    for path in (TEMPLATES / "emails").rglob("*_subject.txt")
)


DATE_PARTS = {"year", "month", "day", "hour", "minute", "second", "weekday", "tzinfo"}


class Anything(str):
    """Reads as ``NAME``, and so does its every attribute (a date of it reads as nothing)."""

    def __getattr__(self, name: str) -> "Anything":
        if name.startswith("__") or name in DATE_PARTS:
            raise AttributeError(name)
        return Anything(NAME)


def test_every_mail_is_found():
    assert len(PREFIXES) >= 7


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_name_with_quotes_ampersands_brackets_and_a_newline(prefix):
    # given: every object of the context named with characters HTML escapes
    context: dict[str, object] = {
        name: Anything(NAME)
        for name in (
            "offer",
            "partner",
            "customer",
            "sender",
            "acting_user",
            "relationship",
            "service_request",
            "tenant",
            "user",
            "actor",
            "agent",
        )
    }
    context.update(url="https://portal.example/x", offer_text=NAME, by_partner=False, days=3)
    # when
    subject, text, html = render_email(prefix, context)
    # then: the subject is one line, and neither it nor the text is HTML-escaped
    assert "\n" not in subject
    for part in (subject, text):
        for entity in ("&#x27;", "&amp;", "&lt;"):
            assert entity not in part
    assert "O'Brien & <Sons>" in subject + text
    # and the HTML part, where there is one, escapes it
    if html:
        assert "<Sons>" not in html
        assert "&lt;Sons&gt;" in html
