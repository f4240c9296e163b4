"""The model every contender talks to in the benchmarks: the fake Messages API answering with the offline
assistant's decisions (tool calls included), so the conversations are realistic and identical for all."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django.setup()  # the offline assistant's code imports the models; it makes no query

from tests.fakes.messages_api import Reply, text  # noqa: E402
from tests.fakes.offline_model import offline_model  # noqa: E402

SEED_SENTIMENT = "Analyze the sentiment of this customer support message."

# The offline assistant compiles its word lists on its first sentiment call (about 0.3 s): here, before the fake
# answers anything, or the first turn of every benchmark would be charged that wait (the real API is never cold).
from assistant import wordlists  # noqa: E402

wordlists.insults()
wordlists.threats()


def respond(request):
    messages = request.body.get("messages") or []
    first = messages[0]["content"] if messages else ""
    if isinstance(first, str) and first.startswith(SEED_SENTIMENT):
        # The source document's separate sentiment call: strict JSON, as its prompt asks.
        return Reply([text('{"score": -0.4, "escalation_trigger": false, "reason": "moderate frustration"}')])
    reply = offline_model(request)
    if reply.content and reply.content[0]["type"] == "tool_use":
        # Like Claude (and the source's example: "Let me check your order ORD-78432 right away."), say a few
        # words before acting: the same for every contender, and what a streaming design can show at once.
        reply = Reply([text("Let me look into that for you."), *reply.content])
    return reply
