"""A database blip (every connection of the server reset, as in a PostgreSQL restart) costs a reconnect, not a
failed message: the pool checks a connection before handing it out."""

import time

import pytest
from django.db import connection

from tests.chat.wsclient import ask, connect_live, receive_until, send_message
from tests.live import start_daphne, stop_daphne

pytestmark = [pytest.mark.multiprocess, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pooled_daphne():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (set DATABASE_URL=postgres://…)")
    server = start_daphne({"DATABASE_POOL_SIZE": "4", "PGAPPNAME": "helpdesk-blip-target"}, name="pooled")
    yield server
    stop_daphne(server)


def reset_the_servers_connections() -> int:
    """Terminate every connection of the server and wait until they are gone: pg_terminate_backend only sends the
    signal, and a backend still finishing its exit passes the pool's check and then fails the query after it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(pid) FROM (SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE application_name = 'helpdesk-blip-target') AS terminated")
        pids = cursor.fetchone()[0] or []
        deadline = time.monotonic() + 10
        while pids and time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids])
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.02)
        return len(pids)


async def test_after_every_pooled_connection_was_reset_the_next_message_is_stored_and_answered(pooled_daphne):
    from asgiref.sync import sync_to_async

    customer = await connect_live(pooled_daphne)
    await receive_until(customer, "state")
    await ask(customer, "Hello", "b1")

    assert await sync_to_async(reset_the_servers_connections)() > 0
    ack = await send_message(customer, "Where is my order?", "b2")
    answer, _ = await receive_until(customer, "assistant.message", timeout=15)
    assert ack["seq"] > 0 and "temporary problem" not in answer["html"]
    await customer.disconnect()
