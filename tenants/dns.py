"""TXT lookups for domain verification, through the resolvers of ``DNS_NAMESERVERS``.

A lookup never takes longer than ``DNS_LIFETIME`` seconds in all. It tells apart a name
that has no TXT record (an empty list) from DNS that could not be asked
(``DnsLookupFailed``), so that a user learns whether to fix its record or to try again.
"""

from __future__ import annotations

import logging

import dns.exception
import dns.nameserver
import dns.rdtypes.ANY.TXT
import dns.resolver
from django.conf import settings

from partnerportal.addresses import split_host_port

logger = logging.getLogger(__name__)


class DnsLookupFailedError(Exception):
    """DNS gave no answer in time, or refused to answer."""


def resolver() -> dns.resolver.Resolver:
    """A resolver on ``DNS_NAMESERVERS``, else the system's, limited to ``DNS_LIFETIME``."""
    configured = list(settings.DNS_NAMESERVERS)
    try:
        res = dns.resolver.Resolver(configure=not configured)
    except dns.exception.DNSException as exc:  # no resolv.conf, say
        raise DnsLookupFailedError(str(exc)) from exc
    if configured:
        res.nameservers = [
            dns.nameserver.Do53Nameserver(*split_host_port(value, 53)) for value in configured
        ]
    res.lifetime = float(settings.DNS_LIFETIME)
    res.timeout = min(res.timeout, res.lifetime)
    return res


def txt_records(name: str) -> list[str]:
    """The TXT records of ``name`` (each one's strings joined); ``[]`` when the name or
    its TXT records do not exist. Raises ``DnsLookupFailedError`` when DNS cannot say."""
    try:
        answer = resolver().resolve(name, "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.DNSException, OSError) as exc:
        logger.warning("TXT lookup of %s failed: %s", name, type(exc).__name__)
        raise DnsLookupFailedError(str(exc)) from exc
    return [
        b"".join(rdata.strings).decode("utf-8", "replace")
        for rdata in answer
        if isinstance(rdata, dns.rdtypes.ANY.TXT.TXT)
    ]
