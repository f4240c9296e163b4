from django.core.management.base import BaseCommand

from chat.demo.store import DemoStore


class Command(BaseCommand):
    help = "Load the demo store (staff, customers, products, orders, FAQ). Idempotent: a second run changes nothing."

    def handle(self, *args, **options):
        created = DemoStore().build()
        if created:
            summary = ", ".join(f"{count} {kind}" for kind, count in sorted(created.items()))
            self.stdout.write(f"Demo data created: {summary}.")
        else:
            self.stdout.write("Demo data already present: nothing to do.")
