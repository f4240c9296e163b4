"""The French check itself (tests/browser/french.py), on text: English msgids are found, French and data are not.

No browser needed; it lives beside the helper it checks (and so carries the browser mark of this folder)."""

import pytest

from tests.browser.french import untranslated_in

pytestmark = pytest.mark.browser


def test_an_english_msgid_shown_as_a_line_is_found():
    assert untranslated_in(["Support queue"]) == ["Support queue"]


def test_an_english_msgid_between_separators_is_found():
    assert {"new", "status"} <= {msgid.casefold() for msgid in untranslated_in(["Status: New"])}


def test_a_msgid_with_a_placeholder_is_found_whatever_fills_it():
    assert "%(counter)s agents available" in untranslated_in(["3 agents available"])


def test_french_text_is_not_english():
    assert untranslated_in(["File du support", "3 conseillers disponibles", "Pagination des tickets"]) == []


def test_data_that_is_in_no_catalog_does_not_count():
    assert untranslated_in(["TCK-1234567 · Customer asked for a person", "Emma Martin", "ORD-78432"]) == []
