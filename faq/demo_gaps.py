"""The demo store's questions without an answer (storefront.demo.store): what customers asked that the demo FAQ has
no article for, in English and French, some several times or in several wordings, so that the content-gaps page
shows groups with counts.

Each row: (text, language, source, days ago for each time it was asked, the hour it was asked).
"""

SEARCH, UNRESOLVED, TICKET = "search", "unresolved", "ticket"

UNANSWERED_QUESTIONS = [
    ("Do you sell gift cards?", "en", SEARCH, (1, 4, 9), 10),
    ("gift card", "en", SEARCH, (2, 12), 15),
    ("Can I buy a gift card for my brother?", "en", UNRESOLVED, (6,), 18),
    ("How do I use my gift card?", "en", TICKET, (3,), 11),
    ("Do you have a physical store?", "en", SEARCH, (2, 8), 9),
    ("Can I visit your store in Paris?", "en", UNRESOLVED, (5,), 14),
    ("Do you offer a student discount?", "en", SEARCH, (3, 11), 16),
    ("student discount?", "en", SEARCH, (7,), 20),
    ("Can I pay in installments?", "en", SEARCH, (1, 13), 12),
    ("Do you price match?", "en", TICKET, (10,), 17),
    ("Can you engrave the headphones?", "en", SEARCH, (4,), 13),
    ("Vendez-vous des cartes cadeaux ?", "fr", SEARCH, (2, 5), 10),
    ("carte cadeau", "fr", SEARCH, (9,), 19),
    ("Puis-je payer en plusieurs fois ?", "fr", SEARCH, (1, 6, 15), 11),
    ("Avez-vous une réduction étudiant ?", "fr", UNRESOLVED, (8,), 15),
    ("réduction étudiant", "fr", SEARCH, (12,), 9),
]
