"""Send the emails that are due: those whose process died before sending them, or waiting for a retry.

Each process sends its own emails after commit; run this from cron (or `--loop`) so that none is left behind when
a process stops for good.
"""

import time

from django.core.management.base import BaseCommand

from helpdesk import outbox


class Command(BaseCommand):
    help = "Send queued emails that are due (once, or every --interval seconds with --loop)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep sending every --interval seconds.")
        parser.add_argument("--interval", type=float, default=30.0)

    def handle(self, *args, loop=False, interval=30.0, **options):
        while True:
            sent = outbox.send_due()
            if sent or not loop:
                self.stdout.write(f"{sent} email(s) sent.")
            if not loop:
                return
            time.sleep(interval)
