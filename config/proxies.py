"""Which peers are proxies the site trusts (DJANGO_TRUSTED_PROXIES), and the addresses
they speak of: only a trusted proxy's X-Forwarded-* headers are believed."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the request's peer is one of DJANGO_TRUSTED_PROXIES."""
    peer = peer_address(request)
    return peer is not None and is_trusted(peer)


def peer_address(request: HttpRequest) -> Address | None:
    # The server's REMOTE_ADDR; the console's requests carry a client key there (a /64
    # for IPv6), which reads back as the same key.
    remote = str(request.META.get("REMOTE_ADDR") or "")
    try:
        return unmapped(ipaddress.ip_interface(remote.split("%", 1)[0]).ip)
    except ValueError:
        return None


def forwarded_address(text: str) -> Address | None:
    """An address as proxies write them in X-Forwarded-For: bare, or with a port."""
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return unmapped(ipaddress.ip_address(text.split("%", 1)[0]))
    except ValueError:
        return None


def unmapped(address: Address) -> Address:
    # A dual-stack server reports an IPv4 peer as ::ffff:a.b.c.d: the same client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)
