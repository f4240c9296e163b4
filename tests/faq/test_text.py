"""One analysis for entries and questions: accents, inflections, elisions and filler words never decide a match."""

import pytest

from faq.text import COUNTRY, analyze, fold, words


@pytest.mark.parametrize(("accented", "plain"), [
    ("Délais de livraison", "delais de livraison"),
    ("Où est mon colis ?", "ou est mon colis"),
    ("remboursé", "rembourse"),
    ("ÉCOUTEURS", "ecouteurs"),
])
def test_accents_and_case_never_change_the_terms(accented, plain):
    assert analyze(accented, "fr") == analyze(plain, "fr")


@pytest.mark.parametrize("forms", [
    ["rembourser", "remboursé", "remboursement", "remboursements"],
    ["livraison", "livraisons"],
    ["commande", "commandes"],
])
def test_french_inflections_share_one_stem(forms):
    assert len({tuple(analyze(form, "fr")) for form in forms}) == 1


@pytest.mark.parametrize("forms", [
    ["refund", "refunds", "refunded", "refunding"],
    ["charge", "charged", "charging", "charges"],
    ["headphones", "headphone"],
])
def test_english_inflections_share_one_stem(forms):
    assert len({tuple(analyze(form, "en")) for form in forms}) == 1


def test_french_elisions_come_apart_from_their_word():
    assert analyze("l'article", "fr") == analyze("article", "fr")
    assert analyze("d’expédition", "fr") == analyze("expedition", "fr")


def test_filler_words_of_either_language_are_not_terms():
    assert words("Hi, can you please tell me, merci beaucoup") == ["beaucoup"]
    assert analyze("bonjour, est-ce que vous pouvez m'aider svp", "fr") == analyze("aider", "fr")


def test_numbers_alone_are_not_terms_but_model_names_are():
    assert words("30 days for the PS5") == ["days", "ps5"]


def test_fold_makes_typographic_apostrophes_plain():
    assert fold("J’ai reçu") == "j'ai recu"


@pytest.mark.parametrize(("text", "language"), [
    ("Do you ship to Portugal?", "en"),
    ("Do you ship to New Zealand?", "en"),
    ("Do you ship to the United States?", "en"),
    ("Vous livrez aux États-Unis ?", "fr"),
    ("Vous livrez au Royaume-Uni ?", "fr"),
    ("Vous livrez en Bosnie-Herzégovine ?", "fr"),
])
def test_a_countrys_name_in_one_word_or_several_is_one_term(text, language):
    terms = analyze(text, language)
    assert terms.count(COUNTRY) == 1
    assert len(terms) == 2  # the verb, and the country


def test_every_country_reads_as_the_same_term_in_both_languages():
    assert analyze("Japan", "en") == analyze("Brazil", "en") == analyze("Japon", "fr") == analyze("Brésil", "fr")


def test_a_country_name_that_is_an_everyday_word_stays_a_word():
    assert words("I ordered a turkey roaster and a football jersey") == ["ordered", "turkey", "roaster", "football",
                                                                          "jersey"]
    assert COUNTRY not in words("la réunion de demain")
