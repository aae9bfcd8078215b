"""IP-echo answers: every address comes back exactly from JSON or plain text; junk is refused."""

import ipaddress
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdesk.actions.account_egress import parse_echo

addresses = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6))


@given(address=addresses, country=st.sampled_from(["DE", "us", "CN", None]))
def test_json_and_plain_answers_parse_back(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, country: str | None
) -> None:
    body = {"ip": str(address), "city": "x"}
    if country:
        body["country"] = country
    assert parse_echo(json.dumps(body).encode()) == (
        str(address),
        country.upper() if country else None,
    )
    assert parse_echo(f"{address}\n".encode()) == (str(address), None)


@given(junk=st.text(max_size=40))
def test_junk_is_refused_with_a_reason(junk: str) -> None:
    try:
        ipaddress.ip_address(junk.strip().splitlines()[0] if junk.strip() else "")
    except ValueError:
        with pytest.raises(ValueError, match="echo endpoint"):
            parse_echo(junk.encode())


def test_country_code_variants_and_bad_json() -> None:
    assert parse_echo(b'{"ip": "203.0.113.9", "country_code": "br"}') == ("203.0.113.9", "BR")
    with pytest.raises(ValueError, match="no 'ip'"):
        parse_echo(b'{"address": "203.0.113.9"}')
    with pytest.raises(ValueError, match="malformed"):
        parse_echo(b"{not json")
