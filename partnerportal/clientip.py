"""Where a request comes from, behind the proxies we run and no others.

The one rule: the peer (the connection's ``REMOTE_ADDR``) is a trusted proxy when it is
in ``TRUSTED_PROXIES``, or, with that list empty, whenever ``TRUSTED_PROXY_COUNT`` is
above 0 (every request then comes through the proxies). Only a trusted proxy's
``X-Forwarded-For``, ``X-Forwarded-Proto`` and ``X-Request-ID`` are believed; from any
other peer they are headers a client picked.

The client is read from ``X-Forwarded-For`` counting from the right, where our proxies
append: the ``TRUSTED_PROXY_COUNT``-th entry, or, without a count, the first entry that
is not itself a trusted proxy. An entry that is not an IP address, or a header shorter
than the count, gives the peer: never a value the client wrote.

``ClientAddressMiddleware`` applies the rule once, first of all, and rewrites
``REMOTE_ADDR`` to the client (the peer stays in ``META[PEER_ADDR]``), so allauth's
limits (``tenants.adapters.AccountAdapter.get_client_ip``), django-ratelimit's "ip" key
and the audit events all count and record the client.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PEER_ADDR = "portal.peer_addr"
# Headers only a trusted proxy may send; dropped from any other peer's requests.
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_REQUEST_ID")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def _address(value: str) -> str | None:
    """``value`` as a normalised IP address, or None when it is not one."""
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _in(address: str, networks: Iterable[Network]) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def peer_addr(request: HttpRequest) -> str:
    """The address of the connection, whatever the middleware made of ``REMOTE_ADDR``."""
    return request.META.get(PEER_ADDR, request.META.get("REMOTE_ADDR", "")) or ""


def is_trusted_proxy(address: str) -> bool:
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if networks:
        peer = _address(address)
        return peer is not None and _in(peer, networks)
    return settings.TRUSTED_PROXY_COUNT > 0


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the request came through a proxy we run, whose headers we may believe."""
    return is_trusted_proxy(peer_addr(request))


def client_ip(request: HttpRequest) -> str:
    """The client's address: from a trusted proxy's ``X-Forwarded-For``, else the peer's."""
    peer = peer_addr(request)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded or not is_trusted_proxy(peer):
        return peer
    hops = [hop.strip() for hop in forwarded.split(",")]
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        candidate = hops[-count] if len(hops) >= count else None
    else:
        networks = _networks(tuple(settings.TRUSTED_PROXIES))
        candidate = hops[0]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None or not _in(address, networks):
                candidate = hop
                break
    client = _address(candidate) if candidate is not None else None
    return client or peer


class ClientAddressMiddleware:
    """Put the client's address in ``REMOTE_ADDR`` and drop the proxy headers that an
    untrusted peer sent, before anything (SecurityMiddleware's ``is_secure()``, the
    request id, rate limits, audit) reads them. First in ``MIDDLEWARE``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if PEER_ADDR not in request.META:
            peer = request.META.get("REMOTE_ADDR", "") or ""
            client = client_ip(request)
            request.META[PEER_ADDR] = peer
            request.META["REMOTE_ADDR"] = client
            if not is_trusted_proxy(peer):
                for header in PROXY_HEADERS:
                    request.META.pop(header, None)
        return self.get_response(request)
