"""Counting the queries of async code, whatever thread runs them, for django_assert_max_num_queries.

Turns and sockets run their queries on pooled threads (helpdesk.db.in_thread), each with its own connection, so the
test thread's `connection` sees none of them. `every_thread()` stands in for it: pass it as the fixture's
`connection` and the budget counts every query of every connection of this process while the block runs.

    with django_assert_max_num_queries(40, connection=every_thread()):
        await run_turn(conversation, backend)

It hooks Django's execute_wrapper on every connection object of the process (each thread has its own; those that
exist are found through the garbage collector's list) and on every connection opened meanwhile (a new thread's).
"""

import gc

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created


class every_thread:
    """What CaptureQueriesContext reads of a connection (force_debug_cursor, ensure_connection, queries_log,
    queries), for the queries of all threads."""

    def __init__(self):
        self.queries: list[dict] = []
        self._wrapped: list = []
        self._watching = False

    @property
    def queries_log(self) -> list[dict]:
        return self.queries

    @property
    def force_debug_cursor(self) -> bool:
        return self._watching

    @force_debug_cursor.setter
    def force_debug_cursor(self, on: bool) -> None:
        if on and not self._watching:
            self._watching = True
            connection_created.connect(self._watch, weak=False)
            for wrapper in gc.get_objects():
                if isinstance(wrapper, BaseDatabaseWrapper):
                    self._wrap(wrapper)
        elif not on and self._watching:
            self._watching = False
            connection_created.disconnect(self._watch)
            for wrapper in self._wrapped:
                if self._record in wrapper.execute_wrappers:
                    wrapper.execute_wrappers.remove(self._record)
            self._wrapped = []

    def ensure_connection(self) -> None:
        """Nothing to open: each counted connection opens itself (and an async test may not open one here)."""

    def _watch(self, sender, connection, **kwargs) -> None:
        self._wrap(connection)

    def _wrap(self, wrapper) -> None:
        if self._record not in wrapper.execute_wrappers:
            wrapper.execute_wrappers.append(self._record)
            self._wrapped.append(wrapper)

    def _record(self, execute, sql, params, many, context):
        self.queries.append({"sql": sql, "time": "0"})
        return execute(sql, params, many, context)
