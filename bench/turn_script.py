"""The conversation bench.turn_cpu measures, and its query count in a process of the measured code.

Standalone on purpose (no import from bench or the apps at module level): bench.turn_cpu runs this file as the
top-level module `turn_script` in a process whose path starts with another revision's tree, so that the code
counted is that revision's, whatever this file's tree is.
"""

import asyncio
import json
import sys

TURNS = ["Hi", "Where is my order {order}? My email is {email}", "How long does standard shipping take?",
         "Thanks!"]


async def one_turn(receive, send, text: str, client_id: str) -> None:
    """Send `text`; return once its answer is complete: the first assistant message after the ack that does not
    continue (words said before a tool call continue; the answer after the tool follows)."""
    await send({"type": "message", "client_id": client_id, "text": text})
    acked = None
    while True:
        frame = await receive()
        if frame.get("type") == "ack" and frame.get("client_id") == client_id:
            acked = frame["seq"]
        elif frame.get("type") == "assistant.message" and acked is not None and frame["seq"] > acked \
                and not frame.get("continues"):
            return
        elif frame.get("type") == "error":
            raise RuntimeError(f"error frame: {frame}")


async def conversation(receive, send, index: int, order: str, email: str, think: float) -> None:
    while (await receive()).get("type") != "state":
        pass
    await send({"type": "resume", "last_seq": 0})
    for number, template in enumerate(TURNS):
        await asyncio.wait_for(one_turn(receive, send, template.format(order=order, email=email),
                                        f"b{index}t{number}"), 60)
        await asyncio.sleep(think)


def count_queries_in_process(orders: list[tuple[str, str]], think: float) -> dict:
    """Run with the measured tree first on sys.path and Django set up from the environment: the same conversations
    through Channels' communicator, every query of every thread counted."""
    import django

    django.setup()
    from channels.testing import WebsocketCommunicator
    from django.db.backends.signals import connection_created

    from assistant import turn
    from helpdesk.asgi import application

    counted = {"queries": 0}

    def count(execute, sql, params, many, context):
        counted["queries"] += 1
        return execute(sql, params, many, context)

    def watch(sender, connection, **kwargs):
        if count not in connection.execute_wrappers:
            connection.execute_wrappers.append(count)

    connection_created.connect(watch, weak=False)

    async def run() -> None:
        for index, (order, email) in enumerate(orders):
            communicator = WebsocketCommunicator(application, "/ws/chat/", headers=[
                (b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")])
            connected, _ = await communicator.connect(timeout=10)
            if not connected:
                raise RuntimeError("the socket was refused")

            async def receive(communicator=communicator):
                return await communicator.receive_json_from(timeout=60)

            await conversation(receive, communicator.send_json_to, index, order, email, think)
            await communicator.disconnect()
            running = [task for task in list(turn._running.values()) if not task.done()]
            await asyncio.gather(*running, return_exceptions=True)

    asyncio.run(run())
    return counted


def main() -> None:
    """`python -c ... turn_script.main() TREE BENCH_DIR '{"orders": [[number, email], ...], "think": 0}'`: prints
    {"queries": n} as the last line."""
    spec = json.loads(sys.argv[3])
    print(json.dumps(count_queries_in_process([tuple(pair) for pair in spec["orders"]], spec["think"])))
