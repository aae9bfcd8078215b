"""The inbox filter parser: canonical queries read back to the same filter, waiting
times round-trip, and every bad value is refused naming its parameter. The contact
attribute lines parser likewise."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdesk.actions.contacts import MAX_ATTRIBUTES, validate_attributes
from crossdesk.db.inbox_filters import (
    MAX_WAITING_MINUTES,
    STATUSES,
    InboxFilter,
    format_waiting,
    parse_waiting,
)
from crossdesk.domain import ChannelKind
from crossdesk.errors import InvalidInput
from crossdesk.web.ui.contacts_views import parse_attribute_lines

ids = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
filters = st.builds(
    InboxFilter,
    status=st.sampled_from(STATUSES),
    labels=st.lists(ids, max_size=5, unique=True).map(tuple),
    platform=st.none() | st.sampled_from([k.value for k in ChannelKind]),
    account=st.none() | ids,
    assignee=st.none() | st.sampled_from(["me", "none"]) | ids,
    team=st.none() | st.just("none") | ids,
    language=st.none() | st.sampled_from(["es", "pt-BR", "zh-Hans", "en"]),
    unread=st.booleans(),
    waiting=st.none() | st.integers(min_value=1, max_value=MAX_WAITING_MINUTES),
)


@given(filters)
def test_canonical_query_reads_back_to_the_same_filter(f: InboxFilter) -> None:
    assert InboxFilter.from_query(f.to_query()) == f
    assert InboxFilter.from_query(dict(f.pairs()) | {"label": list(f.labels)}) == f


@given(st.integers(min_value=1, max_value=MAX_WAITING_MINUTES))
def test_waiting_round_trips(minutes: int) -> None:
    assert parse_waiting(format_waiting(minutes)) == minutes


@given(st.text(max_size=12))
def test_waiting_parser_accepts_or_names_the_field(text: str) -> None:
    try:
        minutes = parse_waiting(text)
    except InvalidInput as exc:
        assert exc.fields["field"] == "waiting"
    else:
        assert 1 <= minutes <= MAX_WAITING_MINUTES


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"label": "vip"}, "label"),
        ({"label": ["0" * 32] * 6}, "label"),
        ({"platform": "myspace"}, "platform"),
        ({"account": "x"}, "account"),
        ({"assignee": "everyone"}, "assignee"),
        ({"team": "all"}, "team"),
        ({"language": "Spanish"}, "language"),
        ({"unread": "maybe"}, "unread"),
        ({"waiting": "0"}, "waiting"),
        ({"waiting": "2w"}, "waiting"),
        ({"colour": "red"}, "colour"),
        ({"status": ["open", "resolved"]}, "status"),
    ],
)
def test_bad_values_name_their_parameter(query: dict[str, str | list[str]], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        InboxFilter.from_query(query)
    assert caught.value.fields["field"] == field


def test_defaults_and_page_keys() -> None:
    assert InboxFilter.from_query({}) == InboxFilter()
    assert InboxFilter().is_default
    parsed = InboxFilter.from_query(
        {"view": "all", "c": "x", "waiting": "120"}, ignore=("view", "c")
    )
    assert parsed.waiting == 120 and parsed.to_query() == {"waiting": "2h"}


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,39}", fullmatch=True),
        st.text(
            alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=60
        ).map(str.strip),
        max_size=MAX_ATTRIBUTES,
    )
)
def test_attribute_lines_round_trip(attributes: dict[str, str]) -> None:
    """What the profile form shows ("name: value" lines) reads back to the same
    attributes, empty values dropped."""
    text = "\n".join(f"{k}: {v}" for k, v in attributes.items())
    parsed = validate_attributes(parse_attribute_lines(text))
    assert parsed == {k: v for k, v in attributes.items() if v}


@given(st.text(max_size=80))
def test_attribute_lines_accept_or_name_the_field(text: str) -> None:
    try:
        validate_attributes(parse_attribute_lines(text))
    except InvalidInput as exc:
        assert exc.fields["field"] == "attributes"
