"""Grouping by similarity (faq.gaps.cluster) on realistic questions the demo FAQ has no article for.

TUNING is what SIMILARITY and MERGE_SIMILARITY were tuned on (each topic: the ways customers ask it, EN and FR,
with topics that share a word: a student and a bulk discount, a store's address and a delivery address, a gift card
and a declined card, job openings and opening hours). HELD_OUT was written after the tuning, to see how the
thresholds do on questions they were not chosen for.
"""

import itertools
from collections import Counter

from faq import gaps, text
from faq.demo_content import FAQ_ENTRIES

TUNING = {
    "en": {
        "hours": ["opening hours?", "What are your opening hours?", "when are you open", "what time do you open",
                  "are you open on sunday", "Opening hours on Sunday?", "what are your hours", "hours of opening",
                  "opening times"],
        "gift": ["gift card", "Do you sell gift cards?", "can I buy a gift card", "gift cards available?",
                 "how do I use my gift card", "gift card balance", "gift voucher"],
        "store": ["do you have a physical store", "store address?", "can I visit your store", "store near me"],
        "student": ["student discount?", "do you offer a student discount", "any discount for students",
                    "student deals"],
        "jobs": ["job openings?", "do you have any jobs available", "jobs", "job application"],
        "paypal": ["can I pay with paypal", "do you accept paypal", "paypal?"],
        "installments": ["can I pay in installments", "pay in 3 installments", "installment plan"],
        "price match": ["do you price match", "price match amazon", "price matching policy"],
        "engraving": ["can you engrave the headphones", "engraving option", "engraving"],
        "delivery address": ["change my delivery address", "wrong delivery address on my order"],
        "bulk": ["bulk order discount", "discount for bulk orders"],
        "newsletter": ["unsubscribe from newsletter", "stop the newsletter emails"],
        "refund": ["where is my refund", "refund still not received", "I have not received my refund yet"],
        "declined": ["my card was declined", "card declined twice", "why is my card declined"],
    },
    "fr": {
        "hours": ["horaires d'ouverture", "quels sont vos horaires d'ouverture ?", "vous êtes ouverts le dimanche ?",
                  "horaires d'ouverture le dimanche", "horaires du magasin", "vos horaires ?"],
        "gift": ["carte cadeau", "vendez-vous des cartes cadeaux ?", "comment utiliser ma carte cadeau",
                 "solde de ma carte cadeau", "bon cadeau"],
        "student": ["réduction étudiant", "réduction pour étudiants ?", "remise étudiant"],
        "store": ["avez-vous un magasin physique", "adresse du magasin", "magasin près de chez moi"],
        "paypal": ["paiement par paypal", "acceptez-vous paypal", "paypal ?"],
        "installments": ["paiement en plusieurs fois", "payer en 3 fois"],
        "engraving": ["gravure sur le casque", "proposez-vous la gravure"],
    },
}

HELD_OUT = {
    "en": {
        "loyalty": ["do you have a loyalty program", "loyalty points", "how do I earn loyalty points",
                    "rewards program?"],
        "gift wrap": ["can you gift wrap my order", "gift wrapping", "is gift wrapping available"],
        "pickup": ["can I pick up my order in store", "click and collect", "in-store pickup?"],
        "recycling": ["do you recycle old electronics", "recycling old headphones", "e-waste recycling"],
        "business": ["corporate accounts", "business account for my company", "do you offer business accounts"],
        "trade-in": ["can I trade in my old phone", "trade-in program", "trade in value for my laptop"],
        "repair": ["do you repair laptops", "repair service for my monitor", "laptop repair cost"],
        "preorder": ["can I preorder the new tablet", "preorder?", "when do preorders open"],
        "promo": ["my promo code doesn't work", "promo code not working", "promo code invalid"],
        "carbon": ["is your shipping carbon neutral", "carbon footprint of deliveries"],
        "military": ["military discount", "do you have a discount for veterans"],
        "rental": ["can I rent a laptop", "laptop rental"],
    },
    "fr": {
        "loyalty": ["programme de fidélité", "points de fidélité", "comment gagner des points de fidélité"],
        "gift wrap": ["emballage cadeau", "pouvez-vous faire un emballage cadeau"],
        "pickup": ["retrait en magasin", "puis-je retirer ma commande en magasin"],
        "repair": ["réparation d'ordinateur portable", "réparez-vous les écrans", "prix d'une réparation"],
        "promo": ["code promo ne marche pas", "mon code promo est invalide", "code promo refusé"],
        "trade-in": ["reprise de mon ancien téléphone", "faites-vous la reprise des anciens appareils"],
    },
}


def knowledge_base(language):
    """As faq.gaps reads the demo knowledge base: each entry's question and answer."""
    return [frozenset(text.analyze(f"{e['question']} {e['answer']}", language))
            for e in FAQ_ENTRIES if e["language"] == language]


def grouped(questions: list[str], language: str) -> list[set[str]]:
    """`questions` grouped as the content-gaps page groups them (identical terms are one wording)."""
    terms = [frozenset(text.analyze(q, language)) for q in questions]
    counts = Counter(terms)
    wordings = sorted(set(terms), key=lambda t: (-counts[t], sorted(t)))
    groups = gaps.cluster(wordings, knowledge_base(language))
    return [{q for q, t in zip(questions, terms, strict=True) if t in {wordings[i] for i in members}}
            for members in groups]


def pairs(examples) -> tuple[float, float, list]:
    """(precision, recall, wrongly grouped pairs) over every pair of questions of each language."""
    together = wrong = missed = 0
    mixed = []
    for language, topics in examples.items():
        questions = [(topic, q) for topic, qs in topics.items() for q in qs]
        group_of = {q: n for n, group in enumerate(grouped([q for _t, q in questions], language)) for q in group}
        for (topic_a, a), (topic_b, b) in itertools.combinations(questions, 2):
            same_group = group_of[a] == group_of[b]
            if same_group and topic_a == topic_b:
                together += 1
            elif same_group:
                wrong += 1
                mixed.append((a, b))
            elif topic_a == topic_b:
                missed += 1
    return together / (together + wrong), together / (together + missed), mixed


def group_of(question, groups):
    return next(group for group in groups if question in group)


def test_the_ways_of_asking_about_gift_cards_are_one_group():
    groups = grouped([q for qs in TUNING["en"].values() for q in qs], "en")
    assert group_of("gift card", groups) == set(TUNING["en"]["gift"])


def test_opening_hours_asked_with_hours_or_with_open_are_one_group():
    groups = grouped([q for qs in TUNING["en"].values() for q in qs], "en")
    hours = group_of("opening hours?", groups)
    assert {"what time do you open", "are you open on sunday", "when are you open"} <= hours
    assert hours == set(TUNING["en"]["hours"])


def test_topics_that_share_a_word_stay_apart():
    groups = grouped([q for qs in TUNING["en"].values() for q in qs], "en")
    for one, other in [("student discount?", "bulk order discount"), ("store address?", "change my delivery address"),
                       ("gift card", "my card was declined"), ("job openings?", "opening hours?"),
                       ("can I pay with paypal", "can I pay in installments"),
                       ("gift cards available?", "do you have any jobs available")]:
        assert other not in group_of(one, groups), (one, other)


def test_french_questions_are_grouped_the_same_way():
    groups = grouped([q for qs in TUNING["fr"].values() for q in qs], "fr")
    assert group_of("carte cadeau", groups) == set(TUNING["fr"]["gift"])
    assert group_of("réduction étudiant", groups) == set(TUNING["fr"]["student"])
    assert "adresse du magasin" not in group_of("horaires d'ouverture", groups)


def test_on_the_tuning_questions_no_group_mixes_two_topics_and_most_topics_are_whole():
    precision, recall, mixed = pairs(TUNING)
    assert mixed == [] and precision == 1.0
    assert recall >= 0.9


def test_on_questions_it_was_not_tuned_on_groups_stay_nearly_pure():
    precision, recall, mixed = pairs(HELD_OUT)
    # Measured when the thresholds were chosen: precision 0.97 (one pair: "rewards program?" with "trade-in
    # program", which share their only distinctive word), recall 0.69 (different words for one thing stay apart:
    # "rent" and "rental", "corporate" and "business").
    assert precision >= 0.95, mixed
    assert recall >= 0.6


def test_words_that_mean_the_same_but_differ_are_not_grouped():
    groups = grouped(["do you have a physical store", "where is your shop"], "en")
    assert len(groups) == 2


def test_a_wording_without_terms_in_common_with_any_group_starts_its_own():
    assert gaps.cluster([frozenset({"gift", "card"}), frozenset({"engrav"})]) == [[0], [1]]
