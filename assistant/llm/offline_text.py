"""Understanding and wording for the offline assistant, in English and French.

Deterministic pattern matching: intents (order status, refund and its reason, FAQ question, wanting a person,
ticket, greeting, thanks, off-topic), entities (order number, email, amount) and the language of a message; and the
phrases the offline assistant answers with. No model, no network.
"""

import re
from datetime import date

from assistant.language import (
    fold,
    matches_any,
)
from helpdesk.money import format_money

ORDER_NUMBER = re.compile(r"\b(?:ORD)[\s#-]?(\d{5})\b", re.IGNORECASE)
BARE_ORDER_NUMBER = re.compile(r"(?:#|\bn°\s?|\bnumber\s|\bnuméro\s)(\d{5})\b", re.IGNORECASE)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
AMOUNT = re.compile(
    r"(?:[$€]\s?(\d+(?:[.,]\d{1,2})?))|(?:\b(\d+(?:[.,]\d{1,2})?)\s?(?:[$€]|dollars?\b|euros?\b|usd\b|eur\b))",
    re.IGNORECASE,
)


TICKET = (
    r"\b(open|create|file|raise)\s+(a\s+)?(support\s+)?ticket\b", r"\bticket\b", r"\bfollow[- ]?up\b",
    r"\b(call|email|contact)\s+me\b", r"\b(ouvrir|creer)\s+un\s+ticket\b", r"\brecontacte", r"\brappele",
)
ORDER_STATUS = (
    r"\bwhere\b.*\b(order|package|parcel)\b", r"\btrack", r"\bstatus\b", r"\bdeliver", r"\bshipped\b",
    r"\barrive", r"\bou (est|en est)\b", r"\bsuivi\b", r"\bcolis\b", r"\blivr", r"\bexpedi", r"\border\b",
    r"\bcommande\b",
)
GREETING = (r"^(hi|hello|hey|good (morning|afternoon|evening)|bonjour|bonsoir|salut|coucou)\b",)
OFF_TOPIC_ADVICE = (
    r"\b(medical|medicine|medication|doctor|symptom|diagnos|pills?|dose|medecin|medicament|ordonnance)\b",
    r"\b(legal advice|is it legal|my rights in court|divorce|conseil juridique)\b",
    r"\b(invest|stocks?|crypto|bitcoin|financial advice|retirement|portfolio|placement|bourse|investir)\b",
)
COMPETITORS = (r"\b(amazon|best ?buy|walmart|fnac|darty|cdiscount|ebay|aliexpress|boulanger)\b",)

REASONS = [
    ("not_received", (
        r"never (arrived|came|got|received)", r"not (been )?(received|arrived)", r"didn't (receive|arrive|get)",
        r"haven't (received|got)", r"hasn't arrived", r"did not (arrive|receive)", r"(jamais|pas) (recu|arrive)",
        r"n'est (jamais|pas) arrive", r"pas encore recu", r"lost", r"perdu",
    )),
    ("wrong_item", (
        r"wrong (item|product|size|colou?r|model|one)", r"not what i ordered", r"mauvais (article|produit|modele)",
        r"pas (le bon|la bonne|ce que j'ai commande)", r"erreur de (produit|commande)",
    )),
    ("defective", (
        r"(doesn't|don't|does not|do not|won't|will not|isn't|stopped|not) (work|working|connect|turn on|charge|pair)",
        r"nothing works", r"broken", r"defect", r"faulty", r"dead", r"cracked", r"damaged",
        r"ne (marche|fonctionne|s'allume|se connecte|charge) (pas|plus)", r"casse", r"defectueu", r"en panne",
        r"abime", r"endommage",
    )),
    ("changed_mind", (
        r"changed my mind", r"don't (want|need) (it|them)", r"no longer (want|need)", r"change d'avis",
        r"(n'en|ne le|ne la|ne les) veux plus", r"plus besoin",
    )),
]
PROBLEM = (r"\b(problem|issue|help|probleme|souci)\b",)


def is_off_topic(text: str) -> str | None:
    folded = fold(text)
    if matches_any(folded, COMPETITORS):
        return "competitor"
    if matches_any(folded, OFF_TOPIC_ADVICE):
        return "advice"
    return None


def wants_ticket(text: str) -> bool:
    return matches_any(fold(text), TICKET)


def asks_order_status(text: str) -> bool:
    return matches_any(fold(text), ORDER_STATUS)


def is_greeting_only(text: str) -> bool:
    folded = fold(text).strip(" !.,?")
    return matches_any(folded, GREETING) and len(folded.split()) <= 4


def refund_reason(texts: list[str]) -> str | None:
    """The reason named in the latest text that names one."""
    for text in reversed(texts):
        folded = fold(text)
        for reason, patterns in REASONS:
            if matches_any(folded, patterns):
                return reason
    return None


def describes_problem(text: str) -> bool:
    return refund_reason([text]) is not None or matches_any(fold(text), PROBLEM)


def order_numbers(text: str) -> list[str]:
    found = [f"ORD-{m}" for m in ORDER_NUMBER.findall(text)]
    found += [f"ORD-{m}" for m in BARE_ORDER_NUMBER.findall(text)]
    return list(dict.fromkeys(found))


def emails(text: str) -> list[str]:
    return [e.lower() for e in EMAIL.findall(text)]


def amount(text: str) -> str | None:
    for match in AMOUNT.finditer(text):
        value = (match.group(1) or match.group(2)).replace(",", ".")
        return value
    return None


# --- wording ------------------------------------------------------------------------------------------------------
MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre"]


def format_date(iso: str | None, language: str) -> str:
    if not iso:
        return ""
    day = date.fromisoformat(iso[:10])
    if language == "fr":
        return f"{day.day} {MONTHS_FR[day.month - 1]}"
    return f"{day:%B} {day.day}"


def money(value: str, currency: str, language: str) -> str:
    """"$89.99", "89,99 €": the helpdesk's one way of writing an amount (helpdesk.money)."""
    return format_money(value, currency, language)


PHRASES = {
    "greeting": {
        "en": "Hi{name}! I'm Alex, the {store} assistant. How can I help you today? I can track an order, help with a "
              "refund, or answer questions about shipping, returns, payment and your account.",
        "fr": "Bonjour{name} ! Je suis Alex, l'assistant de {store}. Comment puis-je vous aider ? Je peux suivre une "
              "commande, vous aider pour un remboursement ou répondre à vos questions sur la livraison, les retours, le "
              "paiement et votre compte.",
    },
    "thanks": {
        "en": "You're welcome! Is there anything else I can help you with?",
        "fr": "Avec plaisir ! Puis-je vous aider pour autre chose ?",
    },
    "anything_else": {"en": "Is there anything else I can help you with?", "fr": "Puis-je vous aider pour autre chose ?"},
    "ask_order_number": {
        "en": "Could you give me your order number? It looks like ORD-12345 and is in your confirmation email.",
        "fr": "Pouvez-vous me donner votre numéro de commande ? Il ressemble à ORD-12345 et figure dans votre e-mail "
              "de confirmation.",
    },
    "ask_email": {
        "en": "To protect your privacy, could you also give me the email address used for order {order}?",
        "fr": "Pour protéger vos données, pouvez-vous aussi me donner l'adresse e-mail utilisée pour la commande "
              "{order} ?",
    },
    "ask_email_ticket": {
        "en": "I can open a ticket so our team follows up. Which email address should they reply to? If you have an "
              "order with us, please give its number too so I can verify it's you.",
        "fr": "Je peux ouvrir un ticket pour que notre équipe vous recontacte. À quelle adresse e-mail doit-elle "
              "répondre ? Si vous avez une commande chez nous, donnez aussi son numéro pour que je vérifie votre "
              "identité.",
    },
    "advice": {
        "en": "I'm not qualified to answer that type of question. Can I help you with your order?",
        "fr": "Je ne suis pas qualifié pour répondre à ce type de question. Puis-je vous aider avec votre commande ?",
    },
    "competitor": {
        "en": "I don't have information about other companies. How can I help you with {store}?",
        "fr": "Je n'ai pas d'informations sur les autres entreprises. Comment puis-je vous aider avec {store} ?",
    },
    "faq_intro": {"en": "Here is what our help center says:", "fr": "Voici ce qu'indique notre centre d'aide :"},
    "faq_steps_outro": {"en": "Have you tried these steps?", "fr": "Avez-vous essayé ces étapes ?"},
    "faq_outro": {"en": "Does that answer your question?", "fr": "Cela répond-il à votre question ?"},
    "faq_none": {
        "en": "I couldn't find an answer to that in our help articles. Would you like me to open a ticket for our "
              "team, or connect you with a person?",
        "fr": "Je n'ai pas trouvé de réponse dans nos articles d'aide. Voulez-vous que j'ouvre un ticket pour notre "
              "équipe, ou que je vous mette en relation avec une personne ?",
    },
    "found_order": {"en": "I found your order {order}:", "fr": "J'ai trouvé votre commande {order} :"},
    "sorry_problem": {
        "en": "I'm sorry to hear that. Can you describe the exact issue? For example, does it not turn on, or does it "
              "not connect?",
        "fr": "Je suis désolé de l'apprendre. Pouvez-vous décrire le problème exactement ? Par exemple, l'appareil ne "
              "s'allume pas, ou ne se connecte pas ?",
    },
    "within_window": {"en": "You're within the return window ({days} days).",
                      "fr": "Vous êtes dans le délai de retour ({days} jours)."},
    "outside_window": {"en": "It is outside the {days}-day return window.",
                       "fr": "Elle est hors du délai de retour de {days} jours."},
    "refund_done": {
        "en": "Your refund of {amount} for order {order} has been initiated. You'll receive it {timing}.",
        "fr": "Le remboursement de {amount} pour la commande {order} a été lancé. Vous le recevrez sous 5 à 7 jours "
              "ouvrés, sur votre moyen de paiement d'origine.",
    },
    "refund_already": {
        "en": "This refund of {amount} for order {order} was already made; you'll receive it {timing}.",
        "fr": "Ce remboursement de {amount} pour la commande {order} a déjà été effectué ; vous le recevrez sous 5 à "
              "7 jours ouvrés.",
    },
    "refund_pending": {
        "en": "A refund of {amount} needs a person's approval, so I've passed it to our team (ticket {ticket}). "
              "You're number {position} in the queue; a member of the team will join this chat.",
        "fr": "Un remboursement de {amount} doit être approuvé par une personne : je l'ai transmis à notre équipe "
              "(ticket {ticket}). Vous êtes numéro {position} dans la file ; un membre de l'équipe va rejoindre "
              "cette conversation.",
    },
    "refund_refused": {
        "en": "I'm sorry, I can't make this refund: {message} Would you like me to connect you with a person?",
        "fr": "Je suis désolé, je ne peux pas effectuer ce remboursement : {message} Voulez-vous que je vous mette en "
              "relation avec une personne ?",
    },
    "not_found": {
        "en": "I couldn't find an order with that number and email address. Could you check both and try again?",
        "fr": "Je n'ai pas trouvé de commande avec ce numéro et cette adresse e-mail. Pouvez-vous vérifier les deux "
              "et réessayer ?",
    },
    "locked": {
        "en": "For your security I can't look up more orders in this conversation. A member of our team can help you: "
              "would you like me to connect you with a person?",
        "fr": "Pour votre sécurité, je ne peux plus rechercher de commandes dans cette conversation. Un membre de notre "
              "équipe peut vous aider : voulez-vous que je vous mette en relation avec une personne ?",
    },
    "ticket_done": {
        "en": "I've opened ticket {ticket}. Our team will follow up by email at {email}.",
        "fr": "J'ai ouvert le ticket {ticket}. Notre équipe vous répondra par e-mail à {email}.",
    },
    "handoff": {
        "en": "I'm connecting you with a member of our team. You're number {position} in the queue. They'll see our "
              "conversation, so you won't need to repeat yourself.",
        "fr": "Je vous mets en relation avec un membre de notre équipe. Vous êtes numéro {position} dans la file. "
              "Il verra notre conversation : vous n'aurez pas à tout répéter.",
    },
    "ticket_already": {
        "en": "Your ticket {ticket} is already open: our team will answer you by email at {email}, and they'll see "
              "our whole conversation.",
        "fr": "Votre ticket {ticket} est déjà ouvert : notre équipe vous répondra par e-mail à {email} et verra "
              "toute notre conversation.",
    },
    "offline_closed": {
        "en": "Our team isn't here right now, so nobody can join this chat.",
        "fr": "Notre équipe n'est pas là pour le moment : personne ne peut rejoindre cette conversation.",
    },
    "offline_busy": {
        "en": "Nobody from our team is free to join this chat right now.",
        "fr": "Personne de notre équipe n'est disponible pour rejoindre cette conversation pour le moment.",
    },
    "back_at": {"en": "They're back {when}.", "fr": "L'équipe est de retour {when}."},
    "offline_ask_email": {
        "en": "Could you give me your email address? I'll pass your question on to them and they'll answer you by "
              "email.",
        "fr": "Pouvez-vous me donner votre adresse e-mail ? Je leur transmets votre question et ils vous répondront "
              "par e-mail.",
    },
    "offline_filed": {
        "en": "I've passed your question on to them as ticket {ticket}; they'll answer you by email at {email}.",
        "fr": "Je leur ai transmis votre question : c'est le ticket {ticket}, et ils vous répondront par e-mail à "
              "{email}.",
    },
    "offline_already": {
        "en": "Your question is already with them as ticket {ticket}; they'll answer you by email at {email}.",
        "fr": "Votre question leur a déjà été transmise : c'est le ticket {ticket}, et ils vous répondront par "
              "e-mail à {email}.",
    },
    "refund_pending_offline": {
        "en": "A refund of {amount} needs a person's approval, and nobody from our team is available right now. I've "
              "filed it as ticket {ticket}: a member of the team will decide and tell you by email at {email}.",
        "fr": "Un remboursement de {amount} doit être approuvé par une personne, et personne de notre équipe n'est "
              "disponible pour le moment. Je l'ai enregistré sous le ticket {ticket} : un membre de l'équipe "
              "décidera et vous répondra par e-mail à {email}.",
    },
    "tool_failed": {
        "en": "I'm sorry, something went wrong on my side: {message} Would you like me to open a ticket or connect you "
              "with a person?",
        "fr": "Je suis désolé, un problème est survenu de mon côté : {message} Voulez-vous que j'ouvre un ticket ou que "
              "je vous mette en relation avec une personne ?",
    },
    "ask_reason": {
        "en": "I can help with a refund for {order}. What's the reason: is the item defective, the wrong item, not "
              "received, or did you change your mind?",
        "fr": "Je peux vous aider pour le remboursement de {order}. Quelle en est la raison : article défectueux, "
              "mauvais article, colis non reçu, ou changement d'avis ?",
    },
}

STATUS_LINES = {
    "delivered": {"en": "Delivered on {delivered}", "fr": "Livrée le {delivered}"},
    "shipped": {"en": "Shipped on {shipped} with {carrier} (tracking {tracking}), expected by {expected}",
                "fr": "Expédiée le {shipped} par {carrier} (suivi {tracking}), livraison prévue le {expected}"},
    "late": {"en": "Shipped on {shipped} with {carrier} (tracking {tracking}). It was expected by {expected} and is "
                   "running late, I'm sorry. If it doesn't arrive, I can refund it as not received.",
             "fr": "Expédiée le {shipped} par {carrier} (suivi {tracking}). Elle était attendue le {expected} et a du "
                   "retard, je suis désolé. Si elle n'arrive pas, je peux la rembourser comme non reçue."},
    "paid": {"en": "Paid and being prepared; it hasn't shipped yet", "fr": "Payée et en préparation ; pas encore expédiée"},
    "pending": {"en": "Waiting for payment confirmation", "fr": "En attente de confirmation du paiement"},
    "cancelled": {"en": "Cancelled: nothing was charged", "fr": "Annulée : rien n'a été débité"},
    "refunded": {"en": "Refunded in full", "fr": "Remboursée intégralement"},
    "partially_refunded": {"en": "Delivered on {delivered}, partially refunded ({refunded})",
                           "fr": "Livrée le {delivered}, partiellement remboursée ({refunded})"},
}


def phrase(key: str, language: str, **values) -> str:
    table = PHRASES[key]
    return table.get(language, table["en"]).format(**values)
