from django.core.management.base import BaseCommand

from storefront.demo.conversations import DemoHistory
from storefront.demo.store import DemoStore


class Command(BaseCommand):
    help = ("Load the demo store (staff, customers, products, orders, FAQ) and 30 days of conversations run through "
            "the offline assistant. Idempotent: a second run changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--conversations", type=int, default=60,
                            help="How many past conversations to run (0: none). Default 60.")

    def handle(self, *args, conversations=60, **options):
        created = DemoStore().build()
        if conversations:
            history = DemoHistory(count=conversations).build()
            if history:
                created["conversations"] = history
        if created:
            summary = ", ".join(f"{count} {kind}" for kind, count in sorted(created.items()))
            self.stdout.write(f"Demo data created: {summary}.")
        else:
            self.stdout.write("Demo data already present: nothing to do.")
