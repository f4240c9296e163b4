"""The offline assistant's drafts for a human agent ("Suggest a reply"), in English and French.

Deterministic, from the facts the request carries in its hints (the customer's latest words, their first name, the
order in question, help-center answers): a greeting, a sentence about what the customer wrote, the order's state
or the help center's answer, and a closing question. It promises nothing (no refund, no replacement): the agent
decides and edits before sending.
"""

from datetime import date

from django.utils import timezone

from assistant import language
from assistant.llm import offline_text as t

# The hint that marks a request as a draft for an agent (LLMRequest.hints["task"]); Claude reads the system prompt.
DRAFT_TASK = "draft_reply"

DRAFT_PHRASES = {
    "greeting": {"en": "Hi {name},", "fr": "Bonjour {name},"},
    "greeting_nameless": {"en": "Hi,", "fr": "Bonjour,"},
    "not_received": {"en": "I'm sorry your order hasn't reached you yet.",
                     "fr": "Je suis désolé que votre commande ne vous soit pas encore parvenue."},
    "defective": {"en": "I'm sorry the item isn't working as it should.",
                  "fr": "Je suis désolé que l'article ne fonctionne pas comme il devrait."},
    "wrong_item": {"en": "I'm sorry you received the wrong item.",
                   "fr": "Je suis désolé que vous ayez reçu un mauvais article."},
    "changed_mind": {"en": "No problem, I can help you with a return.",
                     "fr": "Pas de souci, je peux vous aider pour un retour."},
    "refund": {"en": "I understand you would like a refund, and I'm checking it for you now.",
               "fr": "Je comprends que vous souhaitez un remboursement, et je vérifie cela pour vous."},
    "thanks": {"en": "Thank you for your message.", "fr": "Merci pour votre message."},
    "welcome": {"en": "You're very welcome!", "fr": "Avec plaisir !"},
    "intro": {"en": "I'm {agent} from the {store} team, and I'm here to help. What can I do for you?",
              "fr": "Je suis {agent}, de l'équipe {store}, et je suis là pour vous aider. Que puis-je faire pour vous ?"},
    "intro_nameless": {"en": "I'm from the {store} team, and I'm here to help. What can I do for you?",
                       "fr": "Je fais partie de l'équipe {store} et je suis là pour vous aider. Que puis-je faire pour "
                             "vous ?"},
    "order": {"en": "Your order {order} ({items}): {status}.", "fr": "Votre commande {order} ({items}) : {status}."},
    "faq": {"en": "Here is what our help center says:", "fr": "Voici ce qu'indique notre centre d'aide :"},
    "looking": {"en": "I'm looking into it now and will get back to you shortly.",
                "fr": "Je m'en occupe et je reviens vers vous très vite."},
    "closing": {"en": "Is there anything else I can help you with?", "fr": "Puis-je vous aider pour autre chose ?"},
}

STATUS = {
    "delivered": {"en": "delivered on {delivered}", "fr": "livrée le {delivered}"},
    "shipped": {"en": "shipped on {shipped} with {carrier} (tracking {tracking}), expected by {expected}",
                "fr": "expédiée le {shipped} par {carrier} (suivi {tracking}), livraison prévue le {expected}"},
    "late": {"en": "shipped on {shipped} with {carrier} (tracking {tracking}), expected by {expected}, so it is "
                   "running late",
             "fr": "expédiée le {shipped} par {carrier} (suivi {tracking}), attendue le {expected} : elle a du retard"},
    "paid": {"en": "paid and being prepared; it hasn't shipped yet", "fr": "payée et en préparation ; pas encore expédiée"},
    "pending": {"en": "waiting for payment confirmation", "fr": "en attente de confirmation du paiement"},
    "cancelled": {"en": "cancelled, and nothing was charged", "fr": "annulée, et rien n'a été débité"},
    "refunded": {"en": "refunded in full ({refunded})", "fr": "remboursée intégralement ({refunded})"},
    "partially_refunded": {"en": "delivered on {delivered} and partially refunded ({refunded})",
                           "fr": "livrée le {delivered} et partiellement remboursée ({refunded})"},
}


def _say(key: str, lang: str, **values) -> str:
    table = DRAFT_PHRASES[key]
    return table.get(lang, table["en"]).format(**values)


def order_sentence(order: dict, lang: str) -> str:
    """One sentence of the order's state, from its own figures."""
    status = order.get("status", "")
    expected = order.get("expected_delivery")
    if status == "shipped" and expected and date.fromisoformat(expected) < timezone.localdate():
        status = "late"
    table = STATUS.get(status)
    values = {
        "delivered": t.format_date(order.get("delivered_at"), lang), "shipped": t.format_date(order.get("shipped_at"), lang),
        "expected": t.format_date(expected, lang), "carrier": order.get("carrier") or "—",
        "tracking": order.get("tracking_number") or "—",
        "refunded": t.money(order.get("refunded_total", "0"), order.get("currency", "USD"), lang),
    }
    wording = table.get(lang, table["en"]).format(**values) if table else status
    return _say("order", lang, order=order["number"], items=", ".join(order.get("items") or []) or "—", status=wording)


def draft_reply(hints: dict) -> str:
    """A draft answer to the customer's latest message, for an agent to edit."""
    said = hints.get("last_customer_message", "")
    lang = language.detect_language(said, hints.get("language", "en")) if said else hints.get("language", "en")
    lang = lang if lang in ("en", "fr") else "en"
    name = (hints.get("customer_first_name") or "").strip()
    order = hints.get("order")
    faq = hints.get("faq") or []
    paragraphs = [_say("greeting", lang, name=name) if name else _say("greeting_nameless", lang)]

    reason = t.refund_reason([said]) if said else None
    refund = bool(said and language.wants_refund(said))
    about_order = bool(said and (t.order_numbers(said) or t.asks_order_status(said)))
    if said and language.wants_human(said) and not (reason or refund or about_order):
        agent = (hints.get("agent_name") or "").strip()
        store = hints.get("store", "")
        paragraphs.append(_say("intro", lang, agent=agent, store=store) if agent else
                          _say("intro_nameless", lang, store=store))
        return "\n\n".join(paragraphs)
    if said and language.is_thanks(said) and not (reason or refund or about_order):
        paragraphs += [_say("welcome", lang), _say("closing", lang)]
        return "\n\n".join(paragraphs)
    opening = [_say(reason, lang)] if reason else []
    if refund:
        opening.append(_say("refund", lang))
    paragraphs.append(" ".join(opening or [_say("thanks", lang)]))
    if order and (reason or refund or about_order):
        paragraphs.append(order_sentence(order, lang))
    elif faq:
        paragraphs.append(_say("faq", lang) + "\n\n" + faq[0]["answer"].strip())
    else:
        paragraphs.append(_say("looking", lang))
    paragraphs.append(_say("closing", lang))
    return "\n\n".join(paragraphs)
