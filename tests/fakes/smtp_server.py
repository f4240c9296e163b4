"""A small SMTP server on loopback, so that Django's real SMTP backend (smtplib) is what the outbox meets in tests.

    with FakeSMTPServer() as smtp:
        MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                               "OPTIONS": {"host": "127.0.0.1", "port": smtp.port, "timeout": 2}}}
        smtp.refuse_next = 1   # the next message gets "451 Try again later" after its DATA
        smtp.messages          # email.message.EmailMessage of every message accepted, in order
        smtp.envelopes         # (MAIL FROM, [RCPT TO…]) of each

Plain SMTP only (no STARTTLS, no AUTH): enough for the envelope, the data and the server's answers.
"""

import socketserver
import threading
from email import message_from_bytes, policy


def _address(command: str) -> str:
    """The address of `MAIL FROM:<a@b> SIZE=…` or `RCPT TO:<a@b>`."""
    return command.partition(":")[2].strip().lstrip("<").split(">")[0]


class _Session(socketserver.StreamRequestHandler):
    timeout = 5

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode("ascii") + b"\r\n")

    def handle(self):
        fake: FakeSMTPServer = self.server.fake
        self.reply("220 fake.smtp.test ESMTP")
        sender, recipients = "", []
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-fake.smtp.test\r\n250-8BITMIME\r\n250 SMTPUTF8")
            elif verb == "MAIL":
                sender, recipients = _address(command), []
                self.reply("250 2.1.0 OK")
            elif verb == "RCPT":
                recipients.append(_address(command))
                self.reply("250 2.1.5 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = self._read_data()
                with fake.lock:
                    refuse = fake.refuse_next > 0
                    if refuse:
                        fake.refuse_next -= 1
                    else:
                        fake.envelopes.append((sender, recipients))
                        fake.messages.append(message_from_bytes(data, policy=policy.default))
                self.reply("451 4.3.0 Try again later" if refuse else "250 2.0.0 Queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 2.0.0 OK")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Command not implemented")

    def _read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)  # RFC 5321 dot-unstuffing
        return b"".join(lines)


class FakeSMTPServer:
    def __init__(self):
        self.messages, self.envelopes = [], []
        self.refuse_next = 0
        self.lock = threading.Lock()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Session)
        self._server.daemon_threads = True
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-smtp", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
