"""`manage.py serve`: daphne with a graceful shutdown (operations.serving), as the process manager runs it."""

from daphne.cli import CommandLineInterface
from django.core.management.base import BaseCommand

from operations.serving import GracefulServer
from operations.warmup import warm_up


class Command(BaseCommand):
    help = ("Serve the helpdesk (HTTP and websockets) with daphne, prepared before it listens (operations.warmup). "
            "On SIGTERM: stop accepting, let running turns "
            "finish (SHUTDOWN_DRAIN_SECONDS), release their leases, close sockets with 4012 (clients reconnect "
            "elsewhere), exit.")

    def add_arguments(self, parser):
        where = parser.add_argument_group("where to listen (one at least)")
        where.add_argument("--bind", "-b", help="address to listen on (with --port)")
        where.add_argument("--port", "-p", type=int, help="TCP port")
        where.add_argument("--unix-socket", "-u", help="path of a unix socket to listen on")
        where.add_argument("--fd", type=int, help="an inherited listening socket (supervisor's fcgi-program: 0)")
        parser.add_argument("--proxy-headers", action="store_true",
                            help="take the client's address and scheme from X-Forwarded-For and X-Forwarded-Proto "
                                 "(behind nginx, which sets them)")

    def handle(self, *args, bind=None, port=None, unix_socket=None, fd=None, proxy_headers=False, **options):
        argv = []
        if bind or port is not None:
            argv += ["--bind", bind or "127.0.0.1", "--port", str(port or 8000)]
        if unix_socket:
            argv += ["-u", unix_socket]
        if fd is not None:
            argv += ["--fd", str(fd)]
        if proxy_headers:
            argv.append("--proxy-headers")
        warm_up()
        cli = CommandLineInterface()
        cli.server_class = GracefulServer
        cli.run([*argv, "helpdesk.asgi:application"])
