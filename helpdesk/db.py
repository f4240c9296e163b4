"""Database work from async code, in a pool of threads.

Django's async ORM and channels' database_sync_to_async default to thread_sensitive=True: every query of the whole
process then runs on ONE shared thread, so a hundred conversations queue behind each other's queries. Our services
are self-contained (each its own transaction, no thread-bound state), so they can run on the executor's pool: the
conversations' queries proceed side by side, and connections that went stale are replaced like channels does.
"""

from channels.db import database_sync_to_async


def in_thread(function):
    """`function` (sync, ORM) as an awaitable that runs on a pooled thread."""
    return database_sync_to_async(function, thread_sensitive=False)
