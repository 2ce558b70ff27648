"""Helpers of the browser tier: accessibility, mail, the second factor, signing in."""

from __future__ import annotations

import email
import email.policy
import threading
from email.message import EmailMessage
from typing import Any

import pytest

from tests.factories import PASSWORD, fresh_totp_code

SERIOUS = {"serious", "critical"}


def axe_report(violations: list[dict[str, Any]]) -> str:
    """Violations as a person reads them: rule, impact, help, and each offending element."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"  {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}: {node['html'][:200]}")
            summary = node.get("failureSummary")
            if summary:
                lines.extend(f"      {line.strip()}" for line in summary.splitlines()[1:])
    return "\n".join(lines)


def axe_check(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (shipped inside axe-playwright-python) in ``page``.

    Fails the test on any serious or critical violation; returns the minor and moderate
    ones so a caller may look at them.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    serious = [v for v in violations if v["impact"] in SERIOUS]
    if serious:
        pytest.fail(
            f"axe-core found serious accessibility problems on {page.url}:\n" + axe_report(serious),
            pytrace=False,
        )
    lesser = [v for v in violations if v["impact"] not in SERIOUS]
    if lesser:  # shown with the test's output (pytest -rP, or on failure)
        print(f"axe-core, minor or moderate, on {page.url}:\n{axe_report(lesser)}")
    return lesser


class SmtpSink:
    """Messages received by the local SMTP server, parsed, in order of arrival."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(
        self, *, to: str, subject: str = "", count: int = 1, timeout: float = 10.0
    ) -> list[EmailMessage]:
        """The messages to ``to`` (subject containing ``subject``), once ``count`` arrived."""

        def matching() -> list[EmailMessage]:
            return [
                m
                for m in self.messages
                if to.lower() in str(m["To"]).lower()
                and subject.lower() in str(m["Subject"]).lower()
            ]

        with self._arrived:
            self._arrived.wait_for(lambda: len(matching()) >= count, timeout=timeout)
            found = matching()
        if len(found) < count:
            seen = [f"{m['To']}: {m['Subject']}" for m in self.messages] or ["nothing"]
            pytest.fail(
                f"expected {count} message(s) to {to} about {subject!r}; received: "
                + "; ".join(seen),
                pytrace=False,
            )
        return found


def message_text(message: EmailMessage) -> str:
    """The plain-text body of a received message."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, f"no text part in {message['Subject']!r}"
    return str(part.get_content())  # type: ignore[attr-defined]


def sign_in(page: Any, email_address: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person does: by the fields' labels.

    Returns once the page the form leads to has loaded (its scripts included).
    """
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email_address)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def sign_in_with_totp(page: Any, email_address: str, password: str = PASSWORD) -> None:
    """Sign in with password, then the authenticator code on the second-factor page."""
    sign_in(page, email_address, password)
    page.get_by_label("Code", exact=True).fill(fresh_totp_code())
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def enrol_totp(page: Any, password: str = PASSWORD) -> str:
    """Set up an authenticator app from the two-factor page, as a person does.

    From the "Two-factor authentication" page: "Activate" the authenticator app, give the
    password again if asked (only when the sign-in is no longer recent), read the secret
    the page shows, type the current code, and "Activate". Returns the secret; the page is
    left on the recovery codes.
    """
    page.get_by_role("link", name="Activate").click()
    if "/reauthenticate/" in page.url:
        page.get_by_label("Password").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Confirm").click()
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(fresh_totp_code(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Activate").click()
    return str(secret)
