"""A real DNS server on 127.0.0.1 for the tests: it answers TXT queries with the records
a test sets, and NXDOMAIN for any other name (UDP, on a free port, in a thread)."""

from __future__ import annotations

import socket
import threading
from typing import Any

from dnslib import QTYPE, RCODE, RR, TXT, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class Zone(BaseResolver):  # type: ignore[misc]
    """TXT records by name; a test sets them with ``txt``."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.queries: list[str] = []
        self._lock = threading.Lock()

    def txt(self, name: str, *values: str) -> None:
        """Publish ``values`` as the TXT records of ``name`` (none: remove them)."""
        with self._lock:
            self.records[name.lower().rstrip(".")] = list(values)

    def clear(self) -> None:
        with self._lock:
            self.records.clear()
            self.queries.clear()

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        reply = request.reply()
        qname = str(request.q.qname).lower().rstrip(".")
        with self._lock:
            self.queries.append(qname)
            values = self.records.get(qname)
        if values is None:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.TXT:
            for value in values:
                reply.add_answer(RR(qname, QTYPE.TXT, rdata=TXT(value), ttl=60))
        return reply


class DnsTestServer:
    """The server and its zone; ``address`` is what ``DNS_NAMESERVERS`` takes."""

    def __init__(self) -> None:
        self.zone = Zone()
        quiet = DNSLogger(log="-recv,-send,-request,-reply,-truncated,-error,-data")
        self.server = DNSServer(self.zone, address="127.0.0.1", port=0, logger=quiet)
        host, port = self.server.server.server_address[:2]
        self.address = f"{host}:{port}"

    def start(self) -> DnsTestServer:
        self.server.start_thread()
        return self

    def stop(self) -> None:
        self.server.stop()
        self.server.server.server_close()


class SilentDnsServer:
    """A UDP port that takes queries and never answers: DNS that times out."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        host, port = self.socket.getsockname()
        self.address = f"{host}:{port}"

    def stop(self) -> None:
        self.socket.close()
