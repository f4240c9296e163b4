"""Talk to the assistant in the terminal: `manage.py chat [--as EMAIL] [--language fr]`, one message per line.

The command's own lines (the banner, "You:", "Alex:", the cards and notices) are in the conversation's language,
like the assistant's answers. The session ends at the end of the input (Ctrl-D), on Ctrl-C or on "quit"; the
conversation is then closed as the widget's "End chat" closes it (conversations.services.close_conversation): a
hand-off it asked for is solved with it, instead of waiting in the queue for an agent nobody would answer.
"""

import asyncio
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from assistant import turn
from assistant.llm import backend_name, get_backend
from conversations import services
from conversations.cards import card_mark, card_text
from conversations.models import Conversation
from conversations.sinks import RecordingSink
from orders.services import find_customer_by_email
from tickets.services import open_handoff_for


class Command(BaseCommand):
    help = "Chat with the assistant (offline, or Claude when ANTHROPIC_API_KEY is set), reading lines from stdin."

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="email", help="Chat as this (logged-in) demo customer.")
        parser.add_argument("--language", choices=["en", "fr"],
                            help="The conversation's language (default: the customer's, else English).")

    def handle(self, *args, email=None, language=None, **options):
        customer = None
        if email:
            customer = find_customer_by_email(email)
            if customer is None:
                raise CommandError(f"No customer with the email {email}.")
        language = language or (customer.language if customer else settings.LANGUAGE_CODE)
        with translation.override(language):
            conversation = services.start_conversation(session_key="", customer=customer, language=language,
                                                       backend=backend_name())
            who = (_("Chatting as %(name)s with the %(backend)s assistant.") % {"name": customer.name,
                                                                                 "backend": backend_name()}
                   if customer else _("Chatting as a guest with the %(backend)s assistant.") % {"backend": backend_name()})
            self.stdout.write(who + " " + _('Ctrl-D or "quit" to end.') + "\n")
            # One event loop for the whole session (the model's client belongs to it), run between lines read
            # here, so Ctrl-C while reading or while Alex answers ends the session the same way.
            with asyncio.Runner() as runner:
                try:
                    self.talk(runner, conversation.pk)
                except KeyboardInterrupt:
                    self.stdout.write("")
                finally:
                    self.end(conversation.pk)

    def talk(self, runner, conversation_id):
        interactive = sys.stdin.isatty()
        quit_words = {"quit", "exit", _("quit")}
        while True:
            if interactive:
                self.stdout.write(_("You:") + " ", ending="")
                self.stdout.flush()
            line = sys.stdin.readline()
            if not line:
                return
            text = line.strip()
            if not text:
                continue
            if text.casefold() in quit_words:
                return
            if not interactive:
                self.stdout.write(_("You:") + " " + text)
            services.record_customer_message(conversation_id=conversation_id, text=text, client_id=None)
            runner.run(self.answer(conversation_id))

    def end(self, conversation_id):
        """Close the conversation as a customer leaving the chat does; say what became of a waiting hand-off."""
        handoff = open_handoff_for(conversation_id)
        services.close_conversation(conversation_id=conversation_id, actor="customer")
        if handoff is not None:
            self.stdout.write(_("Your request for a person (%(ticket)s) is withdrawn: this session has ended.")
                              % {"ticket": handoff.number})
        self.stdout.write("\n" + _("Conversation %(id)s ended and saved.") % {"id": conversation_id})

    async def answer(self, conversation_id):
        state = {"streaming": False}
        alex = _("Alex:")

        def on_delta(text):
            if not state["streaming"]:
                self.stdout.write(alex + " ", ending="")
                state["streaming"] = True
            self.stdout.write(text, ending="")
            self.stdout.flush()

        def on_status(label):
            self.stdout.write(f"  [{label}]")

        sink = RecordingSink(on_delta=on_delta, on_status=on_status)
        # Word by word at the widget's pace on a terminal; into a file or a pipe at once, where nobody watches.
        await turn.answer_pending(conversation_id, sink=sink, backend=get_backend(paced=self.stdout.isatty()))
        if state["streaming"]:
            self.stdout.write("")
        for item in sink.actions:
            self.stdout.write(f"  {card_mark(item)} {card_text(item)}")
        for message in sink.messages:
            if message.model == "system" and message.text:
                self.stdout.write(f"{alex} {message.text}")
        conversation = await Conversation.objects.aget(pk=conversation_id)
        if conversation.status != Conversation.Status.BOT:
            self.stdout.write("  " + _("(the conversation is now: %(status)s)")
                              % {"status": conversation.get_status_display()})

