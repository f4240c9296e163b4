"""A mail backend for the outbox's tests: Django's locmem backend (sent messages land in `django.core.mail.outbox`)
that records which thread sent each message and can be told to fail or to hang.

    with override_settings(MAILERS=SCRIPTED):
        script.failures = 2            # the next two sends raise ConnectionRefusedError
        script.hold = threading.Event()  # sends wait until it is set (a slow SMTP server)
        ...
        script.threads                 # the name of the thread of every send, failed ones included

The script is module state: use the `mail_script` fixture of the test module, which resets it.
"""

import threading
from dataclasses import dataclass, field

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

SCRIPTED = {"default": {"BACKEND": "tests.fakes.mailers.ScriptedBackend"}}


@dataclass
class Script:
    failures: int = 0
    delay: float = 0.0
    hold: threading.Event | None = None
    threads: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.failures, self.delay, self.hold, self.threads = 0, 0.0, None, []


script = Script()


class ScriptedBackend(LocmemBackend):
    def send_messages(self, messages):
        with script._lock:
            script.threads.append(threading.current_thread().name)
            failing = script.failures > 0
            if failing:
                script.failures -= 1
        if script.hold is not None:
            script.hold.wait(timeout=5)
        if script.delay:
            threading.Event().wait(script.delay)
        if failing:
            raise ConnectionRefusedError("the mail server refused the connection")
        return super().send_messages(messages)
