"""Calls started at the same moment on their own threads and database connections, for the races the services
must win exactly once (two agents taking one conversation, twenty identical refunds). Use under
django_db(transaction=True): each thread commits on its own connection."""

import threading

from django.db import close_old_connections


def at_once(call, arguments, *, expected: type[Exception]) -> list[tuple]:
    """Call `call(argument)` for every argument, all released together by a barrier; returns
    (argument, result or the `expected` exception it raised) per call, in the order they finished. Any other
    exception fails the test when it is re-raised here."""
    barrier = threading.Barrier(len(arguments))
    outcomes, unexpected = [], []

    def attempt(argument):
        close_old_connections()
        try:
            barrier.wait()
            outcomes.append((argument, call(argument)))
        except expected as error:
            outcomes.append((argument, error))
        except Exception as error:
            unexpected.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=attempt, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if unexpected:
        raise unexpected[0]
    return outcomes


def winners_of(call, arguments, *, loses_with: type[Exception]) -> list:
    """The arguments whose call, among all started at once, did not raise `loses_with`."""
    return [argument for argument, outcome in at_once(call, arguments, expected=loses_with)
            if not isinstance(outcome, loses_with)]
