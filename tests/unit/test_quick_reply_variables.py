"""Quick-reply variables: known ones filled, everything else left exactly as written."""

from hypothesis import given
from hypothesis import strategies as st

from crossdesk.actions.quick_replies import ReplyVariables, fill

VARIABLES = ReplyVariables("Ana", "Li", {"order_number": "SO-1", "empty": ""})


def test_names_and_custom_attributes_are_filled() -> None:
    text = "Hi {customer_name}, {agent_name} here: order {order_number}."
    assert fill(text, VARIABLES) == "Hi Ana, Li here: order SO-1."


def test_missing_or_empty_attributes_and_other_braces_stay() -> None:
    text = "{tracking} {empty} {Order_Number} { order_number } {}"
    assert fill(text, VARIABLES) == text


@given(st.text(alphabet=st.characters(blacklist_characters="{")))
def test_text_without_variables_is_unchanged(text: str) -> None:
    assert fill(text, VARIABLES) == text
