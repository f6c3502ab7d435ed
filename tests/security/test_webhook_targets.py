"""SSRF: an IPv6 address that carries an IPv4 address is judged by the IPv4 address.

Python 3.11's `ipaddress` calls 6to4 of 127.0.0.1 (`2002:7f00:1::1`) and
site-local `fec0::1` global. Each form below is tried with a private embedded
address (refused) and a public one (allowed: the guard unwraps, it does not
refuse the whole form). 93.184.215.14 stands for any public IPv4 address.
"""

import pytest
from django.core.exceptions import ValidationError

from roadmap import webhooks
from roadmap.webhooks import transport

# (form, address in the URL, the IPv4 address it carries)
REFUSED = [
    ("6to4", "2002:7f00:1::1", "127.0.0.1"),
    ("6to4", "2002:a9fe:a9fe::1", "169.254.169.254"),
    ("6to4", "2002:c0a8:1::1", "192.168.0.1"),
    ("teredo server", "2001:0:a00:1:8000:edcb:a247:28f1", "10.0.0.1"),
    ("teredo client", "2001:0:5db8:d70e:8000:edcb:f5ff:fffe", "10.0.0.1"),
    ("teredo client", "2001:0:5db8:d70e:8000:edcb:80ff:fffe", "127.0.0.1"),
    ("nat64 well-known", "64:ff9b::7f00:1", "127.0.0.1"),
    ("nat64 well-known", "64:ff9b::a9fe:a9fe", "169.254.169.254"),
    ("nat64 local-use", "64:ff9b:1::a00:1", "10.0.0.1"),
    ("ipv4-mapped", "::ffff:10.0.0.1", "10.0.0.1"),
    ("ipv4-mapped", "::ffff:169.254.169.254", "169.254.169.254"),
    ("ipv4-compatible", "::127.0.0.1", "127.0.0.1"),
    ("ipv4-compatible", "::10.0.0.1", "10.0.0.1"),
    ("site-local", "fec0::1", None),
    ("site-local", "feff:ffff::1", None),
    # Local-use NAT64 is not globally reachable, whatever address it seems to carry.
    ("nat64 local-use, public-looking", "64:ff9b:1::5db8:d70e", None),
    ("unspecified", "::", None),
    ("loopback", "::1", None),
]
ALLOWED = [
    ("6to4", "2002:5db8:d70e::1", "93.184.215.14"),
    ("teredo", "2001:0:5db8:d70e:8000:edcb:f7f7:f7f7", "93.184.215.14 / 8.8.8.8"),
    ("nat64 well-known", "64:ff9b::5db8:d70e", "93.184.215.14"),
    ("ipv4-mapped", "::ffff:93.184.215.14", "93.184.215.14"),
    ("ipv4-compatible", "::93.184.215.14", "93.184.215.14"),
    ("native", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", None),
]


def _ids(table):
    return [f"{form}-{address}" for form, address, _ in table]


@pytest.mark.parametrize(("form", "address", "carries"), REFUSED, ids=_ids(REFUSED))
def test_a_target_whose_address_carries_a_private_ipv4_address_is_refused(
    settings, form, address, carries
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False

    with pytest.raises(ValidationError) as refused:
        webhooks.target_check(f"https://[{address}]/hook")

    assert refused.value.code == "target_refused"
    (message,) = refused.value.messages
    assert message.startswith(f"{address} resolves to {address}, a loopback, private")


@pytest.mark.parametrize(("form", "address", "carries"), ALLOWED, ids=_ids(ALLOWED))
def test_a_target_whose_address_carries_a_public_ipv4_address_is_allowed(
    settings, form, address, carries
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False

    target = webhooks.target_check(f"https://[{address}]/hook")

    assert target.addresses == (address,)
    assert target.host_header == f"[{address}]"


def test_a_name_resolving_to_a_6to4_address_of_loopback_is_refused(settings, monkeypatch):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    monkeypatch.setattr(transport, "_resolve", lambda host, port: ["2002:7f00:1::1"])

    with pytest.raises(ValidationError, match=r"hooks\.example\.test resolves to 2002:7f00:1::1"):
        webhooks.target_check("https://hooks.example.test/x")
