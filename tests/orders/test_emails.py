"""One email check for every place an email enters: canonical form for what names one mailbox, a clear refusal for
anything that only looks like one address (display names, invisible characters, lists, comments)."""

import pytest

from orders.exceptions import OrderNotFound
from orders.services import InvalidEmail, access_order, check_email, find_customer_by_email
from tests.factories import CustomerFactory, OrderFactory


@pytest.mark.parametrize("raw", [
    "jane.cooper@example.com",
    "Jane.Cooper@Example.COM",
    "  jane.cooper@example.com\n",
    "jane.cooper@example.com.",
    "ｊａｎｅ．ｃｏｏｐｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ",  # full-width
    "JANE.COOPER@EXAMPLE.COM",
    "jane.cooper@example。com",  # ideographic full stop, a label separator in IDNA
])
def test_spellings_of_one_mailbox_have_one_canonical_form(raw):
    assert check_email(raw) == "jane.cooper@example.com"


def test_an_international_domain_is_stored_in_its_ascii_form():
    assert check_email("Anna@Bücher.de") == check_email("anna@xn--bcher-kva.de") == "anna@xn--bcher-kva.de"


@pytest.mark.parametrize("raw", [
    "Jane Cooper <jane.cooper@example.com>",  # display name
    "<jane.cooper@example.com>",
    '"Jane Cooper" jane.cooper@example.com',
    '"jane"@example.com',  # quoted local part
    "jane.cooper\u200b@example.com",  # zero-width space
    "jane.cooper@exa\u00admple.com",  # soft hyphen
    "jane.cooper@example.com\u200d",  # zero-width joiner
    "\ufeffjane.cooper@example.com",  # byte-order mark
    "jane.cooper@\u202eexample.com",  # right-to-left override
    "jane.cooper@example.com\u2066",  # bidi isolate
    "jane.cooper@example.com\u00a0",  # no-break space
    "jane.cooper@example.com\u3000",  # ideographic space
    "jane.cooper@example\ufe0f.com",  # variation selector
    "jane.cooper@example.com\x00",
    "jane.cooper@example.com\r\nBcc: x@evil.example",
    "jane.cooper@example.com, x@evil.example",
    "jane.cooper@example.com;x@evil.example",
    "jane.cooper@example.com x@evil.example",
    "jane@cooper@example.com",
    "jane.cooper(comment)@example.com",
    "jane.cooper@[127.0.0.1]",
    "jаne.cooper@example.com",  # Cyrillic а in the local part
    "jane.cooper@example.com..",
    "jane.cooper@localhost",
    "@example.com",
    "jane.cooper@",
    "",
    "   ",
    "x" * 65 + "@example.com",
    "x@" + "a" * 250 + ".com",
    None,
    42,
    ["jane.cooper@example.com"],
])
def test_anything_but_one_plain_address_is_refused_with_a_clear_message(raw):
    with pytest.raises(InvalidEmail) as error:
        check_email(raw)
    assert error.value.code.startswith(("invalid_email", "email_"))
    assert "example.com" in error.value.message or "address" in error.value.message


@pytest.mark.django_db
@pytest.mark.parametrize("claimed", ["JANE.COOPER@example.com.", "ｊａｎｅ．ｃｏｏｐｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ"])
def test_access_order_and_find_customer_compare_canonical_forms(claimed):
    jane = CustomerFactory(email="Jane.Cooper@Example.com")
    order = OrderFactory(customer=jane)
    assert find_customer_by_email(claimed) == jane
    assert access_order(number=order.number, email=claimed) == order


@pytest.mark.django_db
@pytest.mark.parametrize("claimed", ["Jane <jane.cooper@example.com>", "jane.cooper\u200b@example.com",
                                     "jane.cooper@example.com, x@evil.example"])
def test_access_order_and_find_customer_match_nothing_for_a_lookalike(claimed):
    order = OrderFactory(customer=CustomerFactory(email="jane.cooper@example.com"))
    assert find_customer_by_email(claimed) is None
    with pytest.raises(OrderNotFound):
        access_order(number=order.number, email=claimed)
