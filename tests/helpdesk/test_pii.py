"""helpdesk.pii: numbers are found broadly, then validated before they are masked; secrets stated in words are masked."""

import logging

import pytest

from helpdesk.pii import PiiMaskingFilter, mask_payment_data, mask_pii

CARD_WRITINGS = [
    "4111.1111.1111.1111",
    "4111\u00a01111\u00a01111\u00a01111",  # no-break spaces
    "4111\u202f1111\u202f1111\u202f1111",  # narrow no-break spaces
    "4111\t1111\t1111\t1111",
    "4111/1111/1111/1111",
    "4111  1111  1111  1111",
    "4111 - 1111 - 1111 - 1111",
    "4111–1111–1111–1111",  # en dashes
    "4111\u200b1111\u200b1111\u200b1111",  # zero-width spaces
    "４１１１ １１１１ １１１１ １１１１",  # full-width digits
]


@pytest.mark.parametrize("card", CARD_WRITINGS)
def test_a_card_number_with_any_separator_is_masked_before_storage(card):
    result = mask_payment_data(f"ma carte est {card}, merci")
    assert result.found_card and "****-****-****-1111" in result.text
    assert "4111" not in result.text.replace("****-****-****-1111", "")


@pytest.mark.parametrize("card, last4", [
    ("5555.5555.5555.4444", "4444"),  # Mastercard
    ("3782\t822463\t10005", "0005"),  # American Express, 4-6-5
    ("6011.1111.1111.1117", "1117"),  # Discover
    ("2223/0031/2200/3222", "3222"),  # Mastercard 2-series
])
def test_cards_of_every_issuer_are_masked_keeping_the_last_four_digits(card, last4):
    assert mask_payment_data(card).text == f"****-****-****-{last4}"


def test_a_card_followed_by_its_expiry_date_is_still_found():
    result = mask_payment_data("card 4111 1111 1111 1111 12/28")
    assert result.text == "card ****-****-****-1111 12/28"


@pytest.mark.parametrize("not_a_card", [
    "4111 1111 1111 1112",  # fails Luhn
    "tracking 9400 1000 0000 0000 0000 00",
    "DHL 4000123412341235",
    "9999 9999 9999 9995",  # passes Luhn, no issuer starts with 9
    "id 12345678-1234-4234-9234-123456789012",
])
def test_digit_runs_that_are_not_cards_are_kept(not_a_card):
    result = mask_payment_data(not_a_card)
    assert result.text == not_a_card and not result.found_card


@pytest.mark.parametrize("line", [
    "2026-12-01 09:05:40,123 INFO chat turn done in 1532 ms",
    "at 2026-12-01T09:05:40.123456+00:00 conversation closed",
    "conversation 550e8400-e29b-41d4-a716-446655440000 resumed",
    "conversation 12345678-1234-4234-9234-123456789012 resumed",
    "order ORD-54321 and ticket TCK-7234567",
    "tracking number 1Z12345E0291980793 (UPS), DHL tracking 2125551234",
    "tracking 9400 1000 0000 0000 0000 00",
    "refund of 1 234,56 € approved, total $1,299.00",
    "client 192.168.100.200 port 8000",
    "livraison le 12/01/2026 à 09:05",
    "took 12345678 ms, epoch 1733043940",
])
def test_the_log_filter_leaves_timestamps_ids_tracking_numbers_and_amounts_alone(line):
    assert mask_pii(line) == line


@pytest.mark.parametrize("phone, visible", [
    ("call me at 06 12 34 56 78", "5678"),
    ("+33 6 12 34 56 78", "5678"),
    ("06.12.34.56.78", "5678"),
    ("my number is 212-555-1234", "1234"),
    ("0049 30 1234567", "4567"),
    ("020 7946 0958", "0958"),
])
def test_phone_numbers_valid_in_a_default_region_are_masked_in_logs(phone, visible):
    masked = mask_pii(phone)
    assert f"****{visible}" in masked and phone.split()[-1] not in masked.replace(f"****{visible}", "")


@pytest.mark.parametrize("said, secret", [
    ("my password is hunter2", "hunter2"),
    ("My Password Is Hunter2!", "Hunter2"),
    ("the password was Tr0ub4dor&3", "Tr0ub4dor"),
    ("pw is abc", "abc"),
    ("pw hunter2!", "hunter2"),
    ("passcode: 9876", "9876"),
    ("my PIN is 4321", "4321"),
    ("password \"correct horse battery\"", "correct horse"),
    ("my password's letmein", "letmein"),
    ("mon mot de passe est Soleil2024!", "Soleil2024"),
    ("le mot de passe, c'est azerty", "azerty"),
    ("mdp : chat123", "chat123"),
    ("mon code secret est 1234", "1234"),
    ("mot-de-passe = Bonjour!1", "Bonjour"),
    ("pass\u200bword: Hidden42", "Hidden42"),
])
def test_a_password_stated_in_words_is_masked_in_english_and_french(said, secret):
    result = mask_payment_data(said)
    assert secret not in result.text and "[redacted]" in result.text and result.found_secret


@pytest.mark.parametrize("said", [
    "my password is wrong",
    "I forgot my password yesterday",
    "reset my password please",
    "mon mot de passe est oublié",
    "mon mot de passe ne marche pas",
])
def test_talking_about_a_password_without_giving_it_is_kept(said):
    assert mask_payment_data(said).text == said


@pytest.mark.parametrize("secret", ["4111.1111.1111.1111", "my password is hunter2", "mon mdp est Azerty!9"])
def test_a_log_record_carrying_a_secret_as_an_argument_is_masked(secret):
    record = logging.LogRecord("chat", logging.INFO, __file__, 1, "customer said %s", (secret,), None)
    PiiMaskingFilter().filter(record)
    assert "1111.1111" not in record.getMessage() and "hunter2" not in record.getMessage()
    assert "Azerty" not in record.getMessage()


@pytest.mark.parametrize("line", [
    'GET /support/link/eyJ0IjoxMiwiZSI6ImFiYyJ9:1vQ2xy:Zk3pQ-abcDEF_123/ HTTP/1.1" 200',
    "Not Found: /support/link/eyJ0IjoxMiwiZSI6ImFiYyJ9:1vQ2xy:Zk3pQ-abcDEF_123/",
])
def test_the_log_filter_keeps_only_the_start_of_a_signed_ticket_link(line):
    masked = mask_pii(line)
    assert "Zk3pQ-abcDEF_123" not in masked and "1vQ2xy" not in masked
    assert "/support/link/eyJ0Ij…" in masked
