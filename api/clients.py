"""Who a client is, for the abuse limits: an IPv4 address, or an IPv6 /64.

One host, or one home or office, gets a /64, and may pick any of its 2**64 addresses
for each request. A peer listed in DJANGO_TRUSTED_PROXIES is a proxy, and speaks for
the client in X-Forwarded-For: walked from the right (the entry the nearest proxy
appended), past the proxies' own addresses, the first other entry is the client;
what the client wrote further left is never read. The console's requests carry the
reader's key as their address.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

from config.proxies import Address, forwarded_address, is_trusted, peer_address, unmapped
from jobs.admission import network_of

CLIENT_PREFIX = 64
# Proxies in a row, at most, that X-Forwarded-For is walked past: a chain longer than
# any real one is a header written to make the walk long.
MAX_PROXY_HOPS = 16
UNKNOWN_CLIENT = "unknown"


def client_address(request: HttpRequest) -> str:
    """Who is asking, for the abuse limits: an IPv4 address or an IPv6 /64 (2001:db8:1:2::/64).

    The peer, unless it is a trusted proxy; then the entry of X-Forwarded-For (every
    line of it) nearest to the right that is no trusted proxy's own address.
    """
    peer = peer_address(request)
    if peer is None:
        return UNKNOWN_CLIENT
    client = peer
    if is_trusted(peer):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        # Servers join repeated header lines with ",": every line counts, the last
        # (the nearest proxy's) rightmost.
        for entry in reversed(forwarded.rsplit(",", MAX_PROXY_HOPS)[-MAX_PROXY_HOPS:]):
            hop = forwarded_address(entry.strip())
            if hop is None:
                # Not an address (a proxy that wrote "unknown"): the proxy that passed
                # it on is the nearest thing to the client there is.
                break
            client = hop
            if not is_trusted(hop):
                break
    return client_key(client)


def client_key(address: Address) -> str:
    address = unmapped(address)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, CLIENT_PREFIX), strict=False))
    return str(address)


def client_network(client: str) -> str | None:
    """The IPv6 /48 a client key belongs to; None for an IPv4 client (or an unknown one)."""
    return network_of(client) or None
