"""Network addresses written in settings."""

import ipaddress


def split_host_port(value: str, default_port: int) -> tuple[str, int]:
    """``"ip"``, ``"ip:port"`` or ``"[ipv6]:port"`` as an address and a port; raises
    ``ValueError`` for anything else."""
    host, port = value.strip(), str(default_port)
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        port = rest.removeprefix(":") or port
    elif host.count(":") == 1:
        host, _, port = host.partition(":")
    number = int(port)
    if not 0 < number < 65536:
        raise ValueError(f"No such port: {number}.")
    return str(ipaddress.ip_address(host)), number
