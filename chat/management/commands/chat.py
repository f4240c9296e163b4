"""Talk to the assistant in the terminal: `manage.py chat [--as EMAIL] [--language fr]`, one message per line."""

import asyncio
import sys

from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand, CommandError

from assistant import turn
from assistant.llm import backend_name, get_backend
from conversations import services
from conversations.models import Conversation
from conversations.sinks import RecordingSink
from orders.services import find_customer_by_email


class Command(BaseCommand):
    help = "Chat with the assistant (offline, or Claude when ANTHROPIC_API_KEY is set), reading lines from stdin."

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="email", help="Chat as this (logged-in) demo customer.")
        parser.add_argument("--language", default="en", choices=["en", "fr"])

    def handle(self, *args, email=None, language="en", **options):
        customer = None
        if email:
            customer = find_customer_by_email(email)
            if customer is None:
                raise CommandError(f"No customer with the email {email}.")
        asyncio.run(self.talk(customer, language))

    async def talk(self, customer, language):
        conversation = await sync_to_async(services.start_conversation)(
            session_key="", customer=customer, language=customer.language if customer else language,
            backend=backend_name(),
        )
        who = f"as {customer.name}" if customer else "as a guest"
        self.stdout.write(f"Chatting {who} with the {backend_name()} assistant. Ctrl-D to end.\n")
        interactive = sys.stdin.isatty()
        while True:
            if interactive:
                self.stdout.write("You: ", ending="")
                self.stdout.flush()
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            text = line.strip()
            if not text:
                continue
            if not interactive:
                self.stdout.write(f"You: {text}")
            await sync_to_async(services.record_customer_message)(
                conversation_id=conversation.pk, text=text, client_id=None
            )
            await self.answer(conversation.pk)
        self.stdout.write(f"\nConversation {conversation.pk} saved.")

    async def answer(self, conversation_id):
        state = {"streaming": False}

        def on_delta(text):
            if not state["streaming"]:
                self.stdout.write("Alex: ", ending="")
                state["streaming"] = True
            self.stdout.write(text, ending="")
            self.stdout.flush()

        def on_status(label):
            self.stdout.write(f"  [{label}]")

        sink = RecordingSink(on_delta=on_delta, on_status=on_status)
        await turn.answer_pending(conversation_id, sink=sink, backend=get_backend())
        if state["streaming"]:
            self.stdout.write("")
        for item in sink.actions:
            details = ", ".join(f"{k}={v}" for k, v in item.items() if k != "kind")
            self.stdout.write(f"  ✔ {item['kind']}: {details}")
        for message in sink.messages:
            if message.model == "system" and message.text:
                self.stdout.write(f"Alex: {message.text}")
        conversation = await Conversation.objects.aget(pk=conversation_id)
        if conversation.status != Conversation.Status.BOT:
            self.stdout.write(f"  (conversation is now: {conversation.get_status_display()})")
