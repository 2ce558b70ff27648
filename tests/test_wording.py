"""People are never "it" in what the portal says: templates, mail and messages.

Organisations, offers and relationships stay "it"; a person is "they" or named.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("audit", "delegation", "offers", "partnerportal", "tenants")
TEMPLATE_SUFFIXES = {".html", ".jinja", ".txt"}

# Phrases that can only be about a person: signing in and out, passwords, sessions.
PERSON_AS_IT = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\bit (is|was) signed (in|out)\b",
        r"\bit (must|can|cannot|can't|will) (no longer )?(sign|choose|change|set)\b",
        r"\bits (own |current |new |temporary )?(password|sessions?|sign-in)\b",
        r"\bit (next |first )?signs? (in|out|up)\b",
        r"\bwhen it (next |first )?signs?\b",
        r"\bit (has|had) (enrolled|signed|verified its)\b",
        r"\bits (own )?(email address|authenticator|recovery codes|second factor)\b",
    )
]
MESSAGE_CALLS = {"success", "info", "warning", "error", "debug", "add_message"}


def person_as_it(text: str) -> list[str]:
    return [match.group(0) for pattern in PERSON_AS_IT if (match := pattern.search(text))]


def template_texts() -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(ROOT)), path.read_text())
        for path in sorted((ROOT / "templates").rglob("*"))
        if path.suffix in TEMPLATE_SUFFIXES
    ]


def _strings(node: ast.AST) -> list[str]:
    return [
        sub.value
        for sub in ast.walk(node)
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
    ]


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def message_texts() -> list[tuple[str, str]]:
    """The strings given to messages, ValidationError, add_error and help texts."""
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for call in ast.walk(ast.parse(path.read_text())):
                if not isinstance(call, ast.Call):
                    continue
                name = _called_name(call)
                parts: list[ast.AST] = []
                if name in MESSAGE_CALLS or name in {"ValidationError", "add_error"}:
                    parts = [*call.args, *(k.value for k in call.keywords)]
                parts += [k.value for k in call.keywords if k.arg in {"help_text", "label"}]
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                found += [(where, text) for part in parts for text in _strings(part)]
    return found


@pytest.mark.parametrize(
    "text",
    [
        "Its current password stops working, it is signed out everywhere.",
        "It must choose its own password when it next signs in.",
        "Disable bob@contoso.example? It is signed out at once and cannot sign in.",
        "a temporary password that it must change when it first signs in",
    ],
)
def test_the_check_recognises_a_person_called_it(text):
    assert person_as_it(text)


@pytest.mark.parametrize(
    "text",
    [
        "Their current password stops working, they are signed out everywhere.",
        "Contoso removed Fabrikam's delegated administration; its staff lose access.",
        "The offer is revoked: its link no longer works.",
    ],
)
def test_the_check_leaves_organisations_and_things_alone(text):
    assert not person_as_it(text)


def test_no_template_or_mail_calls_a_person_it():
    found = {name: hits for name, text in template_texts() if (hits := person_as_it(text))}
    assert found == {}


def test_no_message_calls_a_person_it():
    texts = message_texts()
    assert texts  # the scan finds the messages
    found = {where: hits for where, text in texts if (hits := person_as_it(text))}
    assert found == {}
