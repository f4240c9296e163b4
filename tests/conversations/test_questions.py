"""The real question of a follow-up: what the customer asked, in their words, not their last "yes please"."""

import pytest
from django.conf import settings

from conversations.questions import is_meta, real_question
from tests.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def conversation_where_the_customer_said(*texts, language="en"):
    conversation = ConversationFactory(language=language)
    for seq, text in enumerate(texts, start=1):
        MessageFactory(conversation=conversation, seq=seq * 2, text=text)
        MessageFactory(conversation=conversation, seq=seq * 2 + 1, role="assistant", text="I see.")
    return conversation


@pytest.mark.parametrize("text", [
    "Yes please open a ticket", "yes", "OK thanks!", "sure, go ahead", "Hello", "hi there", "Thank you so much",
    "jane.doe@example.com", "my email is jane.doe@example.com", "ORD-12345", "it's order #48213",
    "I want to talk to a real person", "can I speak with someone please", "agent",
    "Oui, ouvrez un ticket s'il vous plaît", "merci beaucoup", "Bonjour", "d'accord", "je veux parler à un humain",
    "mon adresse e-mail est marc@exemple.fr", "C'est la commande ORD-12345", "non merci",
])
def test_agreeing_greeting_thanking_asking_for_a_person_or_giving_an_email_or_order_asks_nothing(text):
    assert is_meta(text)


@pytest.mark.parametrize("text", [
    "The left earbud crackles when I turn the volume up", "Where is my parcel?", "I need a refund",
    "My invoice shows the wrong VAT number", "Le colis est arrivé ouvert et il manque le chargeur",
    "Je n'arrive pas à me connecter à mon compte", "It doesn't work",
])
def test_a_problem_or_a_question_is_substantive(text):
    assert not is_meta(text)


def test_the_subject_is_the_customers_question_not_their_last_words():
    conversation = conversation_where_the_customer_said(
        "Hi!", "The left earbud of my ORD-48213 crackles whenever the volume is above half. It started last week.",
        "Yes please open a ticket")
    question = real_question(conversation, model_subject="Yes please open a ticket", model_description="Yes please")
    assert question.subject == "The left earbud of my ORD-48213 crackles whenever the volume is above half."
    assert question.description.startswith(
        "The left earbud of my ORD-48213 crackles whenever the volume is above half. It started last week.")
    assert "Assistant's note" not in question.description  # "Yes please" adds nothing to the customer's words


def test_a_short_latest_message_is_read_with_the_question_before_it():
    conversation = conversation_where_the_customer_said(
        "My standing desk motor makes a grinding noise when it goes up", "Still does it", "ok")
    question = real_question(conversation)
    assert question.question == "My standing desk motor makes a grinding noise when it goes up\nStill does it"
    assert question.subject == "My standing desk motor makes a grinding noise when it goes up"


def test_earlier_messages_follow_the_question_and_the_models_description_is_a_note_when_it_adds_something():
    conversation = conversation_where_the_customer_said(
        "Can I change the delivery address of an order that has shipped?",
        "I was charged twice for the same keyboard last Tuesday, see my bank statement")
    question = real_question(conversation, model_subject="Billing issue",
                             model_description="Customer reports a duplicate charge of 79.90 USD.")
    assert question.subject == "I was charged twice for the same keyboard last Tuesday, see my bank statement"
    description = question.description
    assert description.index("charged twice") < description.index("Also from the customer:") \
        < description.index("- Can I change the delivery address") \
        < description.index("Assistant's note: Customer reports a duplicate charge of 79.90 USD.")
    assert description.endswith(f"\n\nTranscript: {settings.PUBLIC_URL}/admin/console/{conversation.pk}/")


def test_the_question_is_found_in_french_too():
    conversation = conversation_where_the_customer_said(
        "Bonjour", "La housse du canapé a une tache qui ne part pas au lavage. Que puis-je faire ?",
        "marc@exemple.fr", "Oui merci", language="fr")
    question = real_question(conversation, model_subject="Oui merci")
    assert question.subject == "La housse du canapé a une tache qui ne part pas au lavage."


def test_a_long_question_gives_a_clipped_subject_ending_on_a_word():
    long_line = "My order arrived with " + "a very long list of problems " * 10
    question = real_question(conversation_where_the_customer_said(long_line))
    assert len(question.subject) <= 120 and question.subject.endswith("…")
    assert long_line.startswith(question.subject[:-1])


def test_without_any_question_from_the_customer_the_models_words_are_used():
    question = real_question(conversation_where_the_customer_said("hello", "a person please"),
                             model_subject="Customer wants a callback", model_description="Asked to be called back.")
    assert question.subject == "Customer wants a callback" and question.question == ""
    assert question.description.startswith("Asked to be called back.")
