"""Suite-wide fixtures, and the rule for optional services.

Tests marked ``redis`` or ``browser`` run when their service is there. Without it they
are skipped with the reason, except in CI (``CI=true``), where a missing service fails
the run. Tests marked ``postgres`` run only when the suite runs on PostgreSQL.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.template.backends.jinja2 import Template as JinjaTemplate
from django.test.signals import template_rendered

from tests import services
from tests.conftest_mail import smtp_sink  # noqa: F401 - the SMTP server fixture, for all tests
from tests.dnsserver import DnsTestServer, SilentDnsServer, Zone

_SKIPPED: dict[str, str] = {}


def _is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    checks = {
        "redis": services.redis_available,
        "browser": services.browser_available,
    }
    results: dict[str, tuple[bool, str]] = {}
    for item in items:
        for name, check in checks.items():
            if item.get_closest_marker(name) is None:
                continue
            if name not in results:
                results[name] = check()
            ok, reason = results[name]
            if ok:
                continue
            if services.in_ci():
                raise pytest.UsageError(f"CI=true but {name} tests cannot run: {reason}")
            _SKIPPED[name] = reason
            item.add_marker(pytest.mark.skip(reason=reason))
        if item.get_closest_marker("postgres") is not None and not _is_postgres():
            reason = "runs on PostgreSQL only (set DATABASE_URL to a PostgreSQL database)"
            _SKIPPED["postgres"] = reason
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED:
        terminalreporter.section("skipped tiers")
        for name, reason in sorted(_SKIPPED.items()):
            terminalreporter.write_line(f"{name}: skipped because {reason}")
    terminalreporter.write_line(f"database: {connection.vendor}")


@pytest.fixture(autouse=True, scope="session")
def _jinja2_contexts() -> Iterator[None]:
    """The test client reads ``response.context`` from the signal only Django's own
    templates send in tests: the Jinja2 pages send it as well."""
    render = JinjaTemplate.render

    def recorded(self, context=None, request=None):  # type: ignore[no-untyped-def]
        template_rendered.send(sender=self, template=self, context=context or {})
        return render(self, context, request)

    JinjaTemplate.render = recorded  # type: ignore[method-assign]
    yield
    JinjaTemplate.render = render  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def _dns_server() -> Iterator[DnsTestServer]:
    server = DnsTestServer().start()
    yield server
    server.stop()


@pytest.fixture
def dns(_dns_server: DnsTestServer, settings: Any) -> Zone:
    """A real DNS server on 127.0.0.1, the portal's only resolver, answering the TXT
    records the test publishes with ``dns.txt(name, *values)``."""
    _dns_server.zone.clear()
    settings.DNS_NAMESERVERS = [_dns_server.address]
    settings.DNS_LIFETIME = 2.0
    return _dns_server.zone


@pytest.fixture
def silent_dns(settings: Any) -> Iterator[SilentDnsServer]:
    """A resolver that never answers: every lookup times out, after a short lifetime."""
    server = SilentDnsServer()
    settings.DNS_NAMESERVERS = [server.address]
    settings.DNS_LIFETIME = 0.3
    yield server
    server.stop()
