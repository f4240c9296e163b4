"""`manage.py chat`: a terminal session that ends closes its conversation, and speaks the conversation's language."""

import io

import pytest
from django.core.management import call_command

from conversations.models import Conversation, Message
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

ASK_FOR_A_PERSON = "I want to talk to a human please"


def chat(monkeypatch, stdin, *args) -> str:
    monkeypatch.setattr("sys.stdin", stdin if not isinstance(stdin, str) else io.StringIO(stdin))
    out = io.StringIO()
    call_command("chat", *args, stdout=out)
    return out.getvalue()


def waiting_handoffs():
    return Ticket.objects.filter(kind=Ticket.Kind.HANDOFF,
                                 status__in=[Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING])


class InterruptedInput:
    """stdin whose user presses Ctrl-C after the given lines."""

    def __init__(self, *lines):
        self.lines = list(lines)

    def readline(self):
        if not self.lines:
            raise KeyboardInterrupt
        return self.lines.pop(0) + "\n"

    def isatty(self):
        return False


def test_the_end_of_input_leaves_no_hand_off_waiting_for_an_agent(agent_on_duty, monkeypatch):
    output = chat(monkeypatch, ASK_FOR_A_PERSON + "\n")
    handoff = Ticket.objects.get(kind=Ticket.Kind.HANDOFF)
    assert "A person will join" in output
    assert not waiting_handoffs().exists()
    assert handoff.status == Ticket.Status.SOLVED
    assert Conversation.objects.get().status == Conversation.Status.CLOSED
    assert f"({handoff.number}) is withdrawn" in output


def test_quit_ends_the_session_and_what_follows_is_not_sent(agent_on_duty, monkeypatch):
    chat(monkeypatch, f"{ASK_FOR_A_PERSON}\nquit\nAre you there?\n")
    assert not waiting_handoffs().exists()
    assert Conversation.objects.get().status == Conversation.Status.CLOSED
    assert list(Message.objects.filter(role="customer").values_list("text", flat=True)) == [ASK_FOR_A_PERSON]


def test_ctrl_c_ends_the_session_and_closes_the_conversation(agent_on_duty, monkeypatch):
    chat(monkeypatch, InterruptedInput(ASK_FOR_A_PERSON))
    assert Ticket.objects.filter(kind=Ticket.Kind.HANDOFF).exists()
    assert not waiting_handoffs().exists()
    assert Conversation.objects.get().status == Conversation.Status.CLOSED


def test_a_session_without_a_hand_off_is_closed_as_resolved_by_the_assistant(monkeypatch):
    output = chat(monkeypatch, "Which payment methods do you accept?\n")
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.CLOSED
    assert conversation.outcome == Conversation.Outcome.RESOLVED_BY_ASSISTANT
    assert "withdrawn" not in output and f"Conversation {conversation.pk} ended and saved." in output


def test_with_language_fr_the_commands_own_lines_are_in_french(agent_on_duty, monkeypatch):
    output = chat(monkeypatch, "Je veux parler à un humain\n", "--language", "fr")
    assert Conversation.objects.get().language == "fr"
    assert "Discussion en tant qu'invité avec l'assistant offline." in output
    assert "Vous : Je veux parler à un humain" in output and "Alex :" in output
    assert "✔ Une personne va vous rejoindre : Ticket TCK-" in output and "Place dans la file 1" in output
    assert "(la conversation est maintenant : En attente d'une personne)" in output
    assert "est retirée : cette session est terminée." in output
    assert not any(english in output for english in ("You:", "Alex:", "Chatting as", "conversation is now",
                                                     "A person will join", "ended and saved"))


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_answer_streams_at_the_assistants_pace_on_a_terminal_and_at_once_into_a_file(monkeypatch):
    from assistant.llm import get_backend

    asked = []

    def recording_get_backend(*, paced=True):
        asked.append(paced)
        return get_backend(paced=False)

    monkeypatch.setattr("chat.management.commands.chat.get_backend", recording_get_backend)
    chat(monkeypatch, "Hello\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("Hello\n"))
    call_command("chat", stdout=Terminal())
    assert asked == [False, True]
