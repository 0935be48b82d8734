"""Who is charged for abuse, kept apart from where the counters live.

The counters are token buckets from ``store.rate_limiter`` (memory on one
node, the database on many); this module decides which key a request spends
from and when:

- A failed authentication is charged to its *source*: the network prefix it
  came from (/24 for IPv4, /64 for IPv6), so an attacker cannot multiply the
  budget by walking through the addresses it holds.
- A device's own budget is charged only once its signature verified (a body
  not matching the signed hash, say). A request that merely *names* a device
  costs that device nothing: device IDs are public (``GET /v1/devices/keys``,
  every receipt), so charging the claimed ID let anyone lock any kiosk out.
- The signature is always checked, even from a source whose budget is spent: a
  genuine kiosk behind the same NAT as a stranger still gets through.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from central.db.sql import Limiter

IPV4_PREFIX = 24
IPV6_PREFIX = 64


def source_prefix(host: str) -> str:
    """The network a client address belongs to, as the rate-limit key (``a.b.c.0/24``)."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]  # not an address (a test client, a Unix socket): itself
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    bits = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


@dataclass(frozen=True)
class AuthBudget:
    """Failed authentications per source prefix and per verified device key."""

    by_source: Limiter
    by_key: Limiter

    def source_wait(self, host: str) -> int | None:
        """Seconds ``host``'s network must wait, or None (spends nothing)."""
        return self.by_source.retry_after(source_prefix(host))

    def key_wait(self, verified_device: str) -> int | None:
        """Seconds a device whose signature verified must wait, or None."""
        return self.by_key.retry_after(verified_device)

    def failed(self, host: str, verified_device: str | None = None) -> int | None:
        """Charge one failure; the wait now owed by the source, if its budget ran out."""
        if verified_device:
            self.by_key.spend(verified_device)
        return self.by_source.spend(source_prefix(host))
