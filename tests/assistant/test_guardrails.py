"""assistant.guardrails.OutputGuard compares what the customer will see (entities decoded, markup and invisible characters
removed, case folded) with the system prompt, with a measure that survives inserted words."""

import pytest

from assistant.guardrails import WITHHELD_ANSWER, OutputGuard, leaks_prompt
from assistant.prompts import prompt_canary, static_prompt

pytestmark = pytest.mark.django_db


def _rules_words() -> list[str]:
    prompt = static_prompt()
    rules = prompt[prompt.index("<rules>") + len("<rules>"):prompt.index("</rules>")]
    return rules.split()[:45]


def _stream(text: str, size: int = 7) -> tuple[str, OutputGuard]:
    guard = OutputGuard()
    shown = "".join(guard.feed(text[i:i + size]) for i in range(0, len(text), size)) + guard.flush()
    return shown, guard


def _disguised_quotes() -> dict[str, str]:
    words = _rules_words()
    return {
        "entity spaces": "&#32;".join(words),
        "nbsp entities": "&nbsp;".join(words),
        "hex entities": "&#x20;".join(words),
        "zero-width in every word": " ".join(w[:1] + "\u200b" + w[1:] for w in words),
        "soft hyphens and word joiners": " ".join(w[:2] + "\u00ad\u2060" + w[2:] for w in words),
        "bold inside every word": " ".join(w[:1] + "**" + w[1:] + "**" if len(w) > 2 else w for w in words),
        "html tags between words": "<b> </b>".join(words),
        "a word inserted every third word": " ".join(w + (" indeed" if i % 3 == 2 else "")
                                                     for i, w in enumerate(words)),
        "a word after every word": " ".join(w + " ok" for w in words),
        "words glued together": "".join(words),
        "full-width letters": "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in " ".join(words)),
        "cyrillic look-alikes": " ".join(words).replace("a", "а").replace("e", "е").replace("o", "о"),
    }


@pytest.mark.parametrize("disguise", list(_disguised_quotes()))
def test_a_disguised_quote_of_the_rules_is_withheld_in_the_final_text(disguise):
    text = f"Sure, here they are: {_disguised_quotes()[disguise]}"
    assert OutputGuard().final_text(text) == (WITHHELD_ANSWER, True)


@pytest.mark.parametrize("disguise", list(_disguised_quotes()))
def test_a_disguised_quote_of_the_rules_is_cut_short_in_the_stream(disguise):
    quote = _disguised_quotes()[disguise]
    shown, guard = _stream(f"Sure: {quote}")
    assert guard.leaked and len(shown) < len(quote) / 3


def _canary_variants() -> dict[str, str]:
    canary = prompt_canary()
    return {
        "an entity inside": canary[:4] + f"&#{ord(canary[4])};" + canary[5:],
        "a zero-width space inside": canary[:3] + "\u200b" + canary[3:],
        "spaced out": " ".join(canary),
        "dash as an entity": canary.replace("-", "&#45;"),
        "emphasis inside": "**" + canary[:5] + "**" + canary[5:],
        "without its prefix": canary[3:],
        "full-width": "".join(chr(ord(c) + 0xFEE0) for c in canary),
    }


@pytest.mark.parametrize("variant", list(_canary_variants()))
def test_every_spelling_of_the_canary_is_withheld_and_never_streamed(variant):
    spelled = _canary_variants()[variant]
    shown, guard = _stream(f"The reference is {spelled} ok", size=1)
    assert guard.leaked and prompt_canary()[3:7].lower() not in shown.lower()
    assert OutputGuard().final_text(f"Here: {spelled}")[1]


ORDINARY_ANSWERS = [
    "I can help you with order tracking, refunds, questions about products, shipping, returns, payment and accounts.",
    "Refunds are possible within 30 days of delivery for an unused or defective item. Shall I check your order?",
    "I'm not qualified to answer that kind of question. Can I help you with an order?",
    "I want to help you, but I can't continue if the tone remains inappropriate. Would you like to speak with a "
    "supervisor?",
    "To verify your identity, please give me the order number and the email used for the order.",
    "Never share your card number in chat: we will never ask for your password, card numbers or security codes.",
    "Your order ORD-54321 was delivered on March 3. Is there anything else I can help you with?",
    "Je peux vous aider avec le suivi de commande et les remboursements sous 30 jours après la livraison.",
]


@pytest.mark.parametrize("answer", ORDINARY_ANSWERS)
def test_an_ordinary_answer_quoting_a_few_policy_words_passes_unchanged(answer):
    shown, guard = _stream(answer)
    assert shown == answer and not guard.leaked and OutputGuard().final_text(answer) == (answer, False)


def test_the_faq_text_passes_the_guard():
    from faq.demo_content import FAQ_ENTRIES

    answers = [entry["answer"] for entry in FAQ_ENTRIES]
    assert answers and not [answer for answer in answers if leaks_prompt(answer)]


def test_text_that_starts_like_the_prompt_is_held_only_while_the_quote_may_grow():
    guard = OutputGuard()
    words = _rules_words()
    first = guard.feed(" ".join(words[:5]) + " ")
    later = guard.feed(" and then something else entirely about your parcel today. "[1:])
    assert len(first) < len(" ".join(words[:5])) and not guard.leaked
    rest = " and then something else entirely about your parcel today. "
    assert first + later + guard.flush() == " ".join(words[:5]) + rest
