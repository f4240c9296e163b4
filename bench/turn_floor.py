"""The floor under bench.turn_cpu: what a turn costs the fixed stack (daphne, Channels, the channel layer, Django's
ORM and its database) when it does only what every implementation of this product must do, and nothing else.

A minimal consumer (FloorConsumer, served by daphne with the same settings as the product) speaks just enough of
the chat protocol for bench.turn_script's conversation: a `state` frame, then per customer message
  - one database hop that allocates the message's seq and stores it (commit before ack), then the ack;
  - one hop that claims the turn lease (a conditional UPDATE, as assistant.turn's);
  - the answer streamed as `--publishes` channel-layer events per turn, one every 50 ms
    (conversations.sinks.ChannelLayerSink's interval; bench.turn_cpu's offline turn publishes about 25);
  - one hop that stores the answer and releases the lease; the `stored` event; the consumer loads the message by
    seq (the channel layer only wakes the socket up) and sends it.
No language detection, sentiment, guard, FAQ search, tool, escalation or memory: the turn's own logic is what
bench.turn_cpu's figure adds above this one. CPU is read as there (/proc, idle subtracted, one warm-up
conversation not counted).

    python -m bench.turn_floor --conversations 4 --databases sqlite postgres
    python -m bench.turn_floor --publishes 3   # the same turns without streaming
"""

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import timedelta

from bench import common
from bench.turn_cpu import Tree, cpu_seconds, live_conversations, loop_cpu_seconds
from bench.turn_script import TURNS

DELTA_INTERVAL = 0.05
ANSWER = ("Thanks for your message. Standard shipping takes 3 to 5 business days and express shipping 1 to 2 "
          "business days after your order ships; orders placed before 2 pm usually leave the same day. ")


def application():
    """The ASGI application of the floor server (built after django.setup(), in the daphne process)."""
    from channels.auth import AuthMiddlewareStack
    from channels.consumer import get_handler_name
    from channels.generic.websocket import AsyncJsonWebsocketConsumer
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.db import transaction
    from django.db.models import F
    from django.urls import path
    from django.utils import timezone

    from conversations.models import Conversation, Message
    from conversations.services import allocate_seq
    from helpdesk.db import in_thread
    from helpdesk.realtime import abroadcast, conversation_group

    publishes = int(os.environ.get("FLOOR_PUBLISHES", "25"))

    def start_conversation() -> str:
        return str(Conversation.objects.create(language="en", backend="offline").pk)

    def store(conversation_id, role, text, client_id=None) -> int:
        with transaction.atomic():
            seq = allocate_seq(conversation_id)
            Message.objects.create(conversation_id=conversation_id, seq=seq, role=role, text=text,
                                   content=[{"type": "text", "text": text}], client_id=client_id)
        return seq

    def claim(conversation_id) -> bool:
        now = timezone.now()
        return bool(Conversation.objects.filter(pk=conversation_id, turn_lease_until__isnull=True).update(
            turn_lease_until=now + timedelta(seconds=30), turn_lease_owner="floor"))

    def answer_and_release(conversation_id, text) -> int:
        with transaction.atomic():
            seq = store(conversation_id, Message.Role.ASSISTANT, text)
            Conversation.objects.filter(pk=conversation_id).update(
                turn_lease_until=None, turn_lease_owner="", answered_through_seq=F("last_seq"))
        return seq

    def load(conversation_id, seq) -> dict:
        message = Message.objects.get(conversation_id=conversation_id, seq=seq)
        return {"type": "assistant.message" if message.role == Message.Role.ASSISTANT else "customer.message",
                "seq": message.seq, "text": message.text, "client_id": message.client_id}

    class FloorConsumer(AsyncJsonWebsocketConsumer):
        async def dispatch(self, message):
            # As conversations.consumers does: a channel-layer event goes straight to its handler, without
            # Channels' close_old_connections hop (an avoidable cost, so not part of the floor).
            if message["type"].startswith("websocket."):
                return await super().dispatch(message)
            await getattr(self, get_handler_name(message))(message)

        async def connect(self):
            self.conversation_id = await in_thread(start_conversation)()
            self.group = conversation_group(self.conversation_id)
            await self.channel_layer.group_add(self.group, self.channel_name)
            await self.accept()
            await self.send_json({"type": "state", "messages": []})

        async def send_json(self, content, close=False):
            await self.send(text_data=json.dumps(content, ensure_ascii=False))  # as the product's consumers

        async def receive_json(self, content, **kwargs):
            if content.get("type") != "message":
                return  # a resume: a new conversation has nothing to replay
            seq = await in_thread(store)(self.conversation_id, Message.Role.CUSTOMER, content["text"],
                                         content["client_id"])
            await self.send_json({"type": "ack", "client_id": content["client_id"], "seq": seq})
            await abroadcast(self.group, {"type": "chat.stored", "seq": seq})
            asyncio.get_running_loop().create_task(self.turn())

        async def turn(self):
            await in_thread(claim)(self.conversation_id)
            words = ANSWER.split()
            deltas = max(1, publishes - 2)  # the customer's stored event and the answer's are the other two
            for n in range(deltas):
                part = words[n * len(words) // deltas:(n + 1) * len(words) // deltas]
                await abroadcast(self.group, {"type": "chat.delta", "seq": None, "text": " ".join(part) + " "})
                await asyncio.sleep(DELTA_INTERVAL)
            seq = await in_thread(answer_and_release)(self.conversation_id, ANSWER)
            await abroadcast(self.group, {"type": "chat.stored", "seq": seq})

        async def chat_delta(self, event):
            await self.send_json({"type": "assistant.delta", "text": event["text"]})

        async def chat_stored(self, event):
            await self.send_json(await in_thread(load)(self.conversation_id, event["seq"]))

    return ProtocolTypeRouter({"websocket": AuthMiddlewareStack(URLRouter([
        path("ws/chat/", FloorConsumer.as_asgi())]))})


def serve(port: int) -> None:
    """The daphne process: this file run as a script by bench.common.start_daphne's `command`."""
    import django

    django.setup()
    from daphne.cli import CommandLineInterface

    CommandLineInterface().run(["-b", "127.0.0.1", "-p", str(port), "bench.turn_floor:asgi_application"])


def __getattr__(name):
    if name == "asgi_application":  # daphne imports it by name once Django is set up
        return application()
    raise AttributeError(name)


def measure(database: str, args) -> dict:
    tree = Tree(None)
    redis = args.redis_url if database == "postgres" else None
    url = common.fresh_database(database, name="helpdesk_bench_floor")
    try:
        env = tree.env(url, None, None)
        tree.manage(env, "migrate", "--noinput", "-v", "0")
        orders = [("1001", "guest@example.com")] * (args.conversations + 1)  # named by the script, never looked up
        server = common.start_daphne(url, None, redis_url=redis, name="turnfloor",
                                     extra_env={"FLOOR_PUBLISHES": str(args.publishes)},
                                     command=[sys.executable, __file__])
        pid = server.popen.pid
        try:
            asyncio.run(live_conversations(server.port, orders[:1], args.think))  # warm-up, not counted
            time.sleep(1.0)
            idle_started, idle_cpu = time.monotonic(), cpu_seconds(pid)
            time.sleep(args.idle_seconds)
            idle_rate = (cpu_seconds(pid) - idle_cpu) / (time.monotonic() - idle_started)
            started, cpu_before, loop_before = time.monotonic(), cpu_seconds(pid), loop_cpu_seconds(pid)
            asyncio.run(live_conversations(server.port, orders[1:], args.think))
            time.sleep(args.settle_seconds)
            wall = time.monotonic() - started
            cpu = cpu_seconds(pid) - cpu_before - idle_rate * wall
            loop_cpu = loop_cpu_seconds(pid) - loop_before
        finally:
            server.stop()
    finally:
        common.drop_database(url)
    turns = args.conversations * len(TURNS)
    return {"database": database + (" + redis" if redis else ""), "turns": turns,
            "cpu_ms_per_turn": cpu * 1000 / turns, "loop_cpu_ms_per_turn": loop_cpu * 1000 / turns,
            "publishes_per_turn": args.publishes}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=4, help="Measured conversations (4 turns each).")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--publishes", type=int, default=25, help="Channel-layer events per turn.")
    parser.add_argument("--think", type=float, default=0.2)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument("--settle-seconds", type=float, default=1.5)
    parser.add_argument("--redis-url", default=None, help="Redis for the PostgreSQL runs (default: the benches').")
    args = parser.parse_args(argv)
    if args.redis_url is None:
        args.redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    rows = [measure(database, args) for database in args.databases]
    common.print_table(f"The floor of a turn: the stack's own work, nothing of the product's — {common.machine()}",
                       ["database", "turns", "publishes/turn", "CPU ms/turn", "of which event loop"],
                       [[r["database"], r["turns"], r["publishes_per_turn"], common.fmt(r["cpu_ms_per_turn"]),
                         common.fmt(r["loop_cpu_ms_per_turn"])] for r in rows])
    common.write_json("turn_floor", {"rows": rows})
    return {"rows": rows}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "manage.py":  # started by start_daphne: `… manage.py serve -p PORT`
        sys.path.insert(0, str(common.ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
        serve(int(sys.argv[sys.argv.index("-p") + 1]))
    else:
        main()
