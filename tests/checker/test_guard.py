"""The live check reaches only public addresses: every refusal, proven without sending a
packet (the resolver is a stub; nothing connects)."""

from __future__ import annotations

import pytest

from checker.guard import Refused, Resolver, check_url

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


def resolver(*answers: str) -> Resolver:
    def resolve(host: str, port: int) -> list[str]:
        return list(answers)

    return resolve


def never(host: str, port: int) -> list[str]:
    raise AssertionError("no lookup for a literal address")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://example.test/", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("http://user:pw@example.test/", "user name or password"),
        ("http:///path", "names no host"),
        ("http://example.test:99999/", "port"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
        ("http://instance-data/", "metadata"),
        ("http://127.0.0.1/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://0x7f.1/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://10.0.0.1/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata service"),
        ("http://169.254.1.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://100.64.0.1/", "CGNAT"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::ffff:127.0.0.1]/", "IPv6 form of 127.0.0.1"),
        ("http://[::ffff:10.1.2.3]/", "IPv6 form of 10.1.2.3"),
        ("http://[64:ff9b::a00:1]/", "IPv6 form of 10.0.0.1"),
        ("http://[2002:c0a8:101::1]/", "IPv6 form of 192.168.1.1"),
        ("http://[fd00::1]/", "private"),
    ],
)
def test_every_non_public_target_is_refused_before_any_packet(url: str, says: str) -> None:
    with pytest.raises(Refused, match=says):
        check_url(url, allow_local=False, resolve=never)


def test_a_name_is_refused_if_any_address_it_resolves_to_is_not_public() -> None:
    with pytest.raises(Refused, match=r"resolves to 10\.0\.0\.7, private"):
        check_url(
            "https://api.example.test/jobs",
            allow_local=False,
            resolve=resolver(PUBLIC_V4, "10.0.0.7"),
        )
    with pytest.raises(Refused, match="does not resolve"):

        def fails(host: str, port: int) -> list[str]:
            raise OSError("Name or service not known")

        check_url("https://nowhere.example.test/", allow_local=False, resolve=fails)


def test_public_targets_are_pinned_to_the_addresses_checked() -> None:
    target = check_url(
        "https://API.example.test./jobs?x=1",
        allow_local=False,
        resolve=resolver(PUBLIC_V4, PUBLIC_V6),
    )
    assert (target.scheme, target.host, target.port) == ("https", "api.example.test", 443)
    assert [str(a) for a in target.addresses] == [PUBLIC_V4, PUBLIC_V6]


def test_the_local_setting_opens_local_addresses_but_never_metadata() -> None:
    target = check_url(
        "http://localhost:8000/api/emails/bulk", allow_local=True, resolve=resolver("127.0.0.1")
    )
    assert target.port == 8000
    with pytest.raises(Refused, match="metadata"):
        check_url("http://metadata.google.internal/", allow_local=True, resolve=never)
    with pytest.raises(Refused, match="unspecified"):
        check_url("http://0.0.0.0/", allow_local=True, resolve=never)
    for address in ["169.254.169.254", "[fd00:ec2::254]", "[::ffff:169.254.169.254]"]:
        with pytest.raises(Refused, match="metadata service"):
            check_url(f"http://{address}/latest/", allow_local=True, resolve=never)
    with pytest.raises(Refused, match="metadata service"):
        check_url(
            "http://innocent.example.test/", allow_local=True, resolve=resolver("169.254.169.254")
        )
