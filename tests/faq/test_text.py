"""One analysis for entries and questions: accents, inflections, elisions and filler words never decide a match."""

import pytest

from faq.text import analyze, fold, words


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
