"""The customer's real question, for a follow-up ticket: what they asked that was not resolved, in their own words.

Read from the stored messages, never from the model's words: the latest substantive customer message (with the one
before it when it is only a few words, "It still doesn't charge"), skipping the messages that carry no question —
agreeing ("yes please open a ticket", "oui merci"), greeting, thanking, asking for a person, or only giving an email
address or an order number (English and French). The subject is the question's first sentence that says something,
clipped; the description is the question, then the rest of what the customer said, then the model's own
description when it adds something ("Assistant's note"), then the link to the transcript in the agent console.
The ticket's reader is an agent, so the labels are the staff's English, like the hand-off summary's.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from .models import Conversation, Message

SUBJECT_CHARS = 120
QUESTION_CHARS = 2000
OTHER_MESSAGE_CHARS = 300
OTHER_MESSAGES_CHARS = 1500
NOTE_CHARS = 600
SHORT_QUESTION_WORDS = 6  # a latest message shorter than this is read with the substantive one before it

_EMAIL = re.compile(r"[^\s@<>(),;:]+@[^\s@<>(),;:]+\.[^\s@<>(),;:]+")
_ORDER = re.compile(r"\b(?:ord)[\s#-]?\d{5}\b|#\s?\d{5}\b|\b\d{5}\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")

# Words that ask nothing on their own (folded: lower case, no accents; apostrophes split words): agreement,
# politeness, greetings and thanks, asking for a ticket or a person, giving one's email or order number.
META_WORDS = frozenset("""
    yes yeah yep yup ya sure ok okay k alright right fine good great perfect cool nice super awesome no nope not
    please pls plz thanks thank thx ty cheers you very much much so lot a an the is it s its that this there here
    hi hello hey hiya morning afternoon evening good bye goodbye day
    do can could would will shall may might you u me i i m im my mine we us our
    go ahead that s fine sounds just now then also and or but
    open create file raise make start log submit send a ticket tickets request case support follow followup up
    want wanted need needed like would d love prefer
    talk speak chat contact call email mail e to with someone somebody anyone person people human humans real
    agent agents operator representative rep staff team member supervisor manager live
    address adress is number order n no nr num
    oui ouais si bien sur daccord accord d entendu parfait super top genial ok merci beaucoup bcp
    svp stp s il vous te plait plais
    bonjour bonsoir salut coucou hello allo bonne journee soiree
    je j j ai me moi mon ma mes nous vous tu t voici voila c est ce ca cela
    ouvrir ouvrez ouvre ouvrer creer creez cree faire faites fais un une le la les des du de ticket demande
    veux voudrais voulais souhaite souhaiterais aimerais besoin
    parler discuter contacter appeler joindre avec a au aux quelqu quelqu un personne humain humaine vrai vraie
    vraiment conseiller conseillere agent operateur responsable superviseur equipe membre
    adresse mail courriel email numero commande n non pas
""".split())


def fold(text: str) -> str:
    """Lower case without accents ("Réparé" reads "repare")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(_EMAIL.sub(" ", text)))


def is_meta(text: str) -> bool:
    """True when `text` asks nothing on its own: "Yes please open a ticket", "merci !", "jane@example.com",
    "ORD-12345", "I want to talk to a real person"."""
    stripped = _ORDER.sub(" ", _EMAIL.sub(" ", text))
    return all(word in META_WORDS for word in _WORD.findall(fold(stripped)))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def _normalized(text: str) -> str:
    return " ".join(_WORD.findall(fold(text)))


@dataclass(frozen=True)
class Question:
    """A follow-up's subject and description; `question` is the customer's own question ("" if they never asked
    one: then the subject and description are the model's)."""

    subject: str
    description: str
    question: str


def transcript_url(conversation: Conversation) -> str:
    return settings.PUBLIC_URL + reverse("agent-console", args=[conversation.pk])


def subject_of(question: str) -> str:
    """The first sentence (or line) of `question` that says something, clipped to SUBJECT_CHARS."""
    sentences = [part.strip() for part in _SENTENCE_END.split(question) if part.strip()]
    for sentence in sentences:
        if not is_meta(sentence):
            return _clip(sentence, SUBJECT_CHARS)
    return _clip(question, SUBJECT_CHARS)


def customer_texts(conversation: Conversation) -> list[str]:
    return [text for text in conversation.messages.filter(role=Message.Role.CUSTOMER).order_by("seq")
            .values_list("text", flat=True) if text and text.strip()]


def real_question(conversation: Conversation, *, model_subject: str = "", model_description: str = "") -> Question:
    """The follow-up of `conversation`: the customer's unresolved question in their words (see the module), the
    model's subject and description used only as a note, or when the customer asked nothing themselves."""
    texts = customer_texts(conversation)
    substantive = [text for text in texts if not is_meta(text)]
    link = f"Transcript: {transcript_url(conversation)}"
    model_subject, model_description = (model_subject or "").strip(), (model_description or "").strip()
    if not substantive:
        subject = _clip(model_subject or model_description or "Follow-up request", SUBJECT_CHARS)
        parts = [_clip(model_description, NOTE_CHARS)] if model_description else []
        return Question(subject, "\n\n".join([*parts, link]), "")
    asked = substantive[-1:]
    if len(_words(asked[0])) < SHORT_QUESTION_WORDS and len(substantive) > 1:
        asked = substantive[-2:]
    question = "\n".join(text.strip() for text in asked)
    parts = [_clip(question, QUESTION_CHARS) if len(question) > QUESTION_CHARS else question]
    others = substantive[: len(substantive) - len(asked)]
    if others:
        lines, budget = [], OTHER_MESSAGES_CHARS
        for text in reversed(others):  # the most recent first survive the clipping
            line = "- " + _clip(text, OTHER_MESSAGE_CHARS)
            if len(line) > budget:
                break
            lines.insert(0, line)
            budget -= len(line)
        if lines:
            parts.append("Also from the customer:\n" + "\n".join(lines))
    said = _normalized(" ".join(texts))
    note = model_description or model_subject
    if note and _normalized(note) and _normalized(note) not in said:
        parts.append(f"Assistant's note: {_clip(note, NOTE_CHARS)}")
    parts.append(link)
    return Question(subject_of(question), "\n\n".join(parts), question)
