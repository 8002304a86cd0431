"""Which addresses a check may reach on a stranger's behalf: public ones only.

A live check fetches a URL a stranger gave. Before any packet leaves, the host is
resolved and every address it resolves to must be globally routable; the connection
is then made to one of those checked addresses (pinned: no second lookup a rebinding
DNS server could answer differently). Refused, with the reason: loopback, private,
link-local, CGNAT (100.64.0.0/10), multicast, reserved and unspecified addresses,
IPv4-mapped, NAT64, 6to4 and Teredo forms of them, the numeric spellings of IPv4
(0x7f.1, 2130706433, 0177.1) read as the C library would, and cloud metadata names.

allow_local allows the local ones: `manage.py check_api` runs on a developer's own
machine, against their own server. It never allows metadata names and addresses, which
hold a cloud machine's credentials, nor the unspecified address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

SCHEMES = {"http": 80, "https": 443}
# Names that reach a cloud machine's instance metadata (and its credentials).
METADATA_NAMES = {
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.azure.internal",
}
# The addresses of those services (AWS, GCP, Azure, OpenStack; AWS's IPv6; Alibaba):
# never reached, whatever allow_local says.
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
# One part of an IPv4 address as the C library reads it: decimal, octal (0177), hex (0x7f).
NUMBER = re.compile(r"0x[0-9a-f]*|[0-9]+")


class Refused(Exception):
    """A target the checker will not reach; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    # The checked addresses, in the resolver's order: connect to these, never look again.
    addresses: tuple[Address, ...]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def resolve_within(seconds: float) -> Resolver:
    """The system resolver, given up on after `seconds`: a web request that checks a
    name never waits on a DNS server that does not answer."""

    def resolve(host: str, port: int) -> list[str]:
        found: dict[str, list[str] | OSError] = {}

        def lookup() -> None:
            try:
                found["addresses"] = system_resolver(host, port)
            except OSError as error:
                found["error"] = error

        thread = threading.Thread(target=lookup, daemon=True)
        thread.start()
        thread.join(seconds)
        if thread.is_alive():
            raise OSError(f"no answer from DNS within {seconds:g} s")
        error = found.get("error")
        if isinstance(error, OSError):
            raise error
        addresses = found.get("addresses")
        return addresses if isinstance(addresses, list) else []

    return resolve


def check_url(url: str, *, allow_local: bool, resolve: Resolver = system_resolver) -> Target:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise Refused(f"Only http and https URLs are checked, not {scheme or 'this'}: {url[:80]}")
    if parts.username is not None or parts.password is not None:
        raise Refused("A URL with a user name or password in it is not checked: send no secrets.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise Refused(f"The URL names no host: {url[:80]}")
    try:
        port = parts.port or SCHEMES[scheme]
    except ValueError:
        raise Refused(f"The URL's port is not a number from 1 to 65535: {url[:80]}") from None
    if host in METADATA_NAMES or host.endswith(".internal"):
        raise Refused(f"{host} names a cloud machine's own metadata service: never checked.")
    literal = numeric_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(found.split("%")[0]) for found in resolve(host, port)]
        except (OSError, ValueError) as error:
            raise Refused(f"{host} does not resolve: {error}.") from None
        if not addresses:
            raise Refused(f"{host} resolves to no address.")
    for address in addresses:
        if address in METADATA_ADDRESSES or embedded_ipv4_of(address) in METADATA_ADDRESSES:
            raise Refused(
                f"{host} resolves to {address}, a cloud machine's metadata service: never checked."
            )
        why = not_public(address)
        if why and not (allow_local and why != "unspecified"):
            raise Refused(
                f"{host} resolves to {address}, {why}: a check reaches only public addresses."
            )
    return Target(scheme, host, port, tuple(addresses))


def numeric_address(host: str) -> Address | None:
    """The address a host written as numbers means, as inet_aton reads it (0x7f.1,
    2130706433, 0177.0.0.1 are all 127.0.0.1), or an IPv6 literal; None for a name."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        pass
    if not all(NUMBER.fullmatch(part) for part in host.split(".")):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def not_public(address: Address) -> str:
    """Why the address is not one a stranger's check may reach, or "" if it is."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = embedded_ipv4(address)
        if embedded is not None:
            why = not_public(embedded)
            return f"an IPv6 form of {embedded}, {why}" if why else ""
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return "shared address space (CGNAT)"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "not globally routable"
    return ""


def embedded_ipv4_of(address: Address) -> ipaddress.IPv4Address | None:
    return embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for: IPv4-mapped, NAT64, 6to4, Teredo."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64 or address in NAT64_LOCAL:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None
