"""The placeholders of canned replies: checked when an admin saves one, filled as plain text for the agent."""

import pytest
from django.core.exceptions import ValidationError

from desk.placeholders import fill, unknown_placeholders, validate_placeholders


def test_each_placeholder_is_replaced_by_its_value():
    text, missing = fill("Hi {first_name}, I'm {agent_name} from {store_name}.",
                         {"first_name": "Emma", "agent_name": "Sam", "store_name": "ShopExpress"})
    assert (text, missing) == ("Hi Emma, I'm Sam from ShopExpress.", [])


@pytest.mark.parametrize(("body", "expected"), [
    ("Hi {first_name}, how can I help?", "Hi, how can I help?"),
    ("Thank you for contacting us, {first_name}! Bye", "Thank you for contacting us! Bye"),
    ("{first_name}, thanks for waiting.", "thanks for waiting."),
    ("Your order {order_number} is on its way.", "Your order is on its way."),
])
def test_a_missing_value_leaves_no_raw_placeholder_and_no_stray_comma(body, expected):
    text, missing = fill(body, {})
    assert text == expected and "{" not in text
    assert missing == [body[body.index("{") + 1:body.index("}")]]


def test_a_value_is_inserted_as_text_and_never_expanded_again():
    text, _ = fill("Hi {first_name}, I'm {agent_name}.", {"first_name": "{agent_name} <b>x</b>", "agent_name": "Sam"})
    assert text == "Hi {agent_name} <b>x</b>, I'm Sam."


def test_an_unknown_placeholder_is_an_error_naming_it_and_the_allowed_ones():
    with pytest.raises(ValidationError) as refused:
        validate_placeholders("Hello {firstname}, about {order_number} and { name }")
    message = refused.value.messages[0]
    assert "{firstname}" in message and "{ name }" in message
    assert "{first_name}" in message and "{order_number}" in message and "{store_name}" in message


def test_a_body_with_known_placeholders_only_is_valid():
    assert unknown_placeholders("Hi {first_name}, ticket {ticket_number}. A lone { brace is text.") == []
    validate_placeholders("Hi {name}")
