"""The demo store: staff, customers, products, orders, the FAQ and the desk's canned replies, relative to today.

Deterministic (a seeded random generator) and idempotent: every row is found by its natural key (username, email,
sku, order number, FAQ key + language) and only created when missing, so running it twice changes nothing.
A few anchor orders have fixed numbers because the docs, the tests and the evaluation scenarios name them.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.utils import timezone

from desk.demo_content import CANNED_REPLIES
from desk.models import CannedReply
from faq import gaps, search
from faq import services as faq_services
from faq.demo_content import FAQ_ENTRIES
from faq.demo_gaps import UNANSWERED_QUESTIONS
from faq.models import FaqEntry, UnansweredQuestion
from helpdesk.statuses import Actor
from orders.models import Customer, Order, OrderItem, Product, Refund

ADMIN = ("admin", "admin", "Ada", "Admin")  # a superuser: every permission, the KPIs included
AGENTS = [("sam", "sam", "Sam", "Rivera"), ("lea", "lea", "Léa", "Moreau")]
MANAGERS = [("maya", "maya", "Maya", "Okafor")]
CUSTOMER_PASSWORD = "demo"
AGENT_GROUP = "Support agents"
MANAGER_GROUP = "Support managers"
# Agents work tickets; they do not get the KPIs and the conversation export (every customer's email and comments).
AGENT_PERMISSIONS = [
    ("tickets", "ticket", ["view", "change"]),
    ("conversations", "conversation", ["view", "change"]),
    ("conversations", "message", ["view"]),
    ("orders", "order", ["view"]),
    ("orders", "customer", ["view"]),
    ("orders", "refund", ["view", "change"]),
    ("faq", "faqentry", ["view"]),
]
# Managers read the KPIs and export them, and read what is behind them; they work no tickets.
MANAGER_PERMISSIONS = [
    ("conversations", "conversation", ["view"]),
    ("conversations", "message", ["view"]),
    ("tickets", "ticket", ["view"]),
    ("orders", "order", ["view"]),
    ("orders", "refund", ["view"]),
    ("faq", "faqentry", ["view"]),
]
MANAGER_CUSTOM_PERMISSIONS = [("conversations", "view_support_kpis")]

PRODUCTS = [
    ("AUD-PMX-01", "ProMax Audio Headphones", "89.99", "audio", "Wireless over-ear headphones, 30 h battery."),
    ("AUD-PMX-02", "ProMax Audio Earbuds", "59.99", "audio", "True wireless earbuds with charging case."),
    ("AUD-SPK-10", "Boomcube Bluetooth Speaker", "49.00", "audio", "Waterproof portable speaker."),
    ("CMP-LAP-14", "Aero 14 Laptop", "1299.00", "computing", "14-inch ultralight laptop, 16 GB RAM."),
    ("CMP-MON-27", "ClearView 27 Monitor", "329.00", "computing", "27-inch 1440p IPS monitor."),
    ("CMP-KBD-01", "Tactile Mechanical Keyboard", "119.00", "computing", "Hot-swappable mechanical keyboard."),
    ("CMP-MSE-01", "Glide Wireless Mouse", "39.99", "computing", "Silent wireless mouse, USB-C."),
    ("PHN-TAB-11", "Slate 11 Tablet", "449.00", "phones", "11-inch tablet, 128 GB."),
    ("PHN-CSE-01", "Armor Phone Case", "24.99", "phones", "Shock-absorbing case."),
    ("HOM-CAM-01", "Sentinel Indoor Camera", "79.00", "home", "1080p indoor security camera."),
    ("HOM-PLG-02", "Smart Plug (2-pack)", "29.99", "home", "Wi-Fi smart plugs."),
    ("HOM-BLB-04", "Lumen Smart Bulbs (4-pack)", "44.99", "home", "Colour smart bulbs."),
    ("ACC-CHG-65", "65W USB-C Charger", "45.00", "accessories", "GaN charger, two ports."),
    ("ACC-CBL-02", "Braided USB-C Cable (2 m)", "14.99", "accessories", "Braided USB-C to USB-C cable."),
    ("ACC-BAG-15", "Commuter Laptop Sleeve 15\"", "34.00", "accessories", "Water-resistant laptop sleeve."),
]

CUSTOMERS = [
    ("Emma Martin", "emma.martin@example.com", "en"),
    ("Lucas Bernard", "lucas.bernard@example.fr", "fr"),
    ("Jane Cooper", "jane.cooper@example.com", "en"),
    ("Chloé Dubois", "chloe.dubois@example.fr", "fr"),
    ("Michael Chen", "michael.chen@example.com", "en"),
    ("Sofia Rossi", "sofia.rossi@example.com", "en"),
    ("Hugo Laurent", "hugo.laurent@example.fr", "fr"),
    ("Olivia Smith", "olivia.smith@example.com", "en"),
    ("Noah Johnson", "noah.johnson@example.com", "en"),
    ("Camille Petit", "camille.petit@example.fr", "fr"),
    ("Liam Brown", "liam.brown@example.com", "en"),
    ("Ava Wilson", "ava.wilson@example.com", "en"),
    ("Louis Girard", "louis.girard@example.fr", "fr"),
    ("Mia Davis", "mia.davis@example.com", "en"),
    ("Ethan Garcia", "ethan.garcia@example.com", "en"),
    ("Manon Roux", "manon.roux@example.fr", "fr"),
    ("James Miller", "james.miller@example.com", "en"),
    ("Isabella Moore", "isabella.moore@example.com", "en"),
    ("Jules Fontaine", "jules.fontaine@example.fr", "fr"),
    ("Charlotte Taylor", "charlotte.taylor@example.com", "en"),
    ("Benjamin Clark", "benjamin.clark@example.com", "en"),
    ("Amelia Lewis", "amelia.lewis@example.com", "en"),
    ("Inès Lefèvre", "ines.lefevre@example.fr", "fr"),
    ("Daniel Walker", "daniel.walker@example.com", "en"),
    ("Harper Young", "harper.young@example.com", "en"),
]
CARRIERS_BY_LANGUAGE = {"en": ["UPS", "DHL"], "fr": ["Colissimo", "La Poste", "DHL"]}


@dataclass(frozen=True)
class AnchorOrder:
    """An order with a fixed number; `delivered_days_ago` None = not delivered."""

    number: str
    email: str
    skus: tuple
    status: str
    placed_days_ago: int
    shipped_days_ago: int | None = None
    delivered_days_ago: int | None = None
    expected_in_days: int | None = None
    notes: str = ""


ANCHOR_ORDERS = [
    # The source document's example: headphones delivered 14 days ago, within the 30-day window.
    AnchorOrder("ORD-78432", "emma.martin@example.com", ("AUD-PMX-01",), "delivered", 18, 16, 14),
    AnchorOrder("ORD-55120", "emma.martin@example.com", ("HOM-CAM-01", "ACC-CBL-02"), "shipped", 3, 2, None, 2),
    AnchorOrder("ORD-31877", "emma.martin@example.com", ("CMP-MSE-01",), "delivered", 50, 48, 45),
    AnchorOrder("ORD-66210", "lucas.bernard@example.fr", ("CMP-LAP-14",), "delivered", 9, 7, 5),
    AnchorOrder("ORD-66211", "lucas.bernard@example.fr", ("AUD-SPK-10",), "delivered", 12, 10, 8),
    AnchorOrder("ORD-42007", "jane.cooper@example.com", ("PHN-TAB-11",), "shipped", 14, 12, None, -5),
    AnchorOrder("ORD-54321", "jane.cooper@example.com", ("AUD-PMX-02",), "delivered", 10, 8, 6,
                notes="Leave at the front desk."),
    AnchorOrder("ORD-42311", "jane.cooper@example.com", ("ACC-CHG-65",), "shipped", 16, 15, None, -6),
    AnchorOrder("ORD-20415", "michael.chen@example.com", ("CMP-KBD-01",), "paid", 1),
    AnchorOrder("ORD-20999", "michael.chen@example.com", ("ACC-CHG-65",), "cancelled", 20),
]


def _aware(day_offset: int, hour: int, today: date) -> datetime:
    day = today - timedelta(days=day_offset)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, 0))


class DemoStore:
    def __init__(self, today: date | None = None, seed: int = 7):
        self.today = today or timezone.localdate()
        self.random = random.Random(seed)
        self.created: dict[str, int] = {}

    def _count(self, kind: str, created: bool) -> None:
        if created:
            self.created[kind] = self.created.get(kind, 0) + 1

    @transaction.atomic
    def build(self) -> dict[str, int]:
        self.staff()
        self.catalogue()
        self.customers()
        self.orders()
        self.faq()
        self.content_gaps()
        self.canned_replies()
        return self.created

    # --- staff ------------------------------------------------------------------------------------------------
    def _group(self, name: str, model_permissions, custom_permissions=()) -> Group:
        """The group `name` with (at least) these permissions: added on every run, so an older demo gets them."""
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [(app, f"{action}_{model}") for app, model, actions in model_permissions for action in actions]
        for app, codename in [*codenames, *custom_permissions]:
            group.permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
        return group

    def staff(self) -> None:
        group = self._group(AGENT_GROUP, AGENT_PERMISSIONS)
        managers = self._group(MANAGER_GROUP, MANAGER_PERMISSIONS, MANAGER_CUSTOM_PERMISSIONS)
        username, password, first, last = ADMIN
        admin_user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": "admin@example.com",
                      "is_staff": True, "is_superuser": True},
        )
        if created:
            admin_user.set_password(password)
            admin_user.save()
        self._count("staff", created)
        for people, people_group in ((AGENTS, group), (MANAGERS, managers)):
            for username, password, first, last in people:
                member, created = User.objects.get_or_create(
                    username=username,
                    defaults={"first_name": first, "last_name": last, "email": f"{username}@shopexpress.example",
                              "is_staff": True},
                )
                if created:
                    member.set_password(password)
                    member.save()
                    member.groups.add(people_group)
                self._count("staff", created)

    # --- catalogue and customers --------------------------------------------------------------------------------
    def catalogue(self) -> None:
        self.products = {}
        for sku, name, price, category, description in PRODUCTS:
            product, created = Product.objects.get_or_create(
                sku=sku,
                defaults={"name": name, "price": Decimal(price), "category": category, "description": description},
            )
            self.products[sku] = product
            self._count("products", created)

    def customers(self) -> None:
        self.customer_by_email = {}
        password_hash = None  # hashing is slow on purpose: hash the shared demo password once
        for name, email, language in CUSTOMERS:
            customer = Customer.objects.filter(email__iexact=email).first()
            created = customer is None
            if created:
                password_hash = password_hash or make_password(CUSTOMER_PASSWORD)
                user = User(username=email, email=email, first_name=name.split()[0], last_name=name.split()[-1],
                            password=password_hash)
                user.save()
                customer = Customer.objects.create(name=name, email=email, language=language, user=user)
            self.customer_by_email[email] = customer
            self._count("customers", created)

    # --- orders -----------------------------------------------------------------------------------------------
    def orders(self) -> None:
        for anchor in ANCHOR_ORDERS:
            self._anchor_order(anchor)
        taken = {a.number for a in ANCHOR_ORDERS}
        plan = (
            ["delivered_recent"] * 21 + ["delivered_old"] * 14 + ["in_transit"] * 9 + ["late"] * 5
            + ["paid"] * 5 + ["pending"] * 4 + ["cancelled"] * 4 + ["refunded"] * 4 + ["partially_refunded"] * 4
        )
        customers = list(self.customer_by_email.values())
        for index, kind in enumerate(plan):
            number = self._number(index, taken)
            if Order.objects.filter(number=number).exists():
                continue
            customer = customers[index % len(customers)]
            skus = self.random.sample(list(self.products), k=self.random.choice([1, 1, 1, 2, 2, 3]))
            self._generated_order(number, customer, skus, kind)

    @staticmethod
    def _number(index: int, taken: set) -> str:
        """The index-th generated order number: the same on every run, never an anchor's or an earlier one's."""
        generator = random.Random(1000 + index)
        while (number := f"ORD-{generator.randint(10000, 99999)}") in taken:
            pass
        taken.add(number)
        return number

    def _create_order(self, *, number, customer, skus, status, placed, shipped, delivered, expected, notes=""):
        currency = Order.Currency.EUR if customer.language == "fr" else Order.Currency.USD
        items = [(self.products[sku], 1) for sku in skus]
        total = sum((product.price * quantity for product, quantity in items), Decimal("0"))
        carrier = tracking = ""
        if shipped:
            carrier = self.random.choice(CARRIERS_BY_LANGUAGE[customer.language])
            tracking = self._tracking(carrier)
        order = Order.objects.create(
            number=number, customer=customer, status=status, placed_at=placed, shipped_at=shipped,
            delivered_at=delivered, expected_delivery=expected, carrier=carrier, tracking_number=tracking,
            total=total, currency=currency, notes=notes,
        )
        OrderItem.objects.bulk_create(
            OrderItem(order=order, product=product, quantity=quantity, unit_price=product.price)
            for product, quantity in items
        )
        self._count("orders", True)
        return order

    def _tracking(self, carrier: str) -> str:
        digits = "".join(self.random.choice("0123456789") for _ in range(10))
        return {"UPS": f"1Z{digits}", "DHL": digits, "Colissimo": f"6A{digits}FR", "La Poste": f"LP{digits}FR"}[carrier]

    def _anchor_order(self, anchor: AnchorOrder) -> None:
        if Order.objects.filter(number=anchor.number).exists():
            return
        today = self.today
        shipped = _aware(anchor.shipped_days_ago, 9, today) if anchor.shipped_days_ago is not None else None
        delivered = _aware(anchor.delivered_days_ago, 15, today) if anchor.delivered_days_ago is not None else None
        if anchor.expected_in_days is not None:
            expected = today + timedelta(days=anchor.expected_in_days)
        else:
            expected = delivered.date() if delivered else None
        self._create_order(
            number=anchor.number, customer=self.customer_by_email[anchor.email], skus=anchor.skus,
            status=anchor.status, placed=_aware(anchor.placed_days_ago, 11, today), shipped=shipped,
            delivered=delivered, expected=expected, notes=anchor.notes,
        )

    def _generated_order(self, number, customer, skus, kind) -> None:
        r, today = self.random, self.today
        shipped = delivered = expected = None
        status = {
            "delivered_recent": "delivered", "delivered_old": "delivered", "in_transit": "shipped",
            "late": "shipped", "paid": "paid", "pending": "pending", "cancelled": "cancelled",
            "refunded": "delivered", "partially_refunded": "delivered",
        }[kind]
        if kind in ("delivered_recent", "refunded", "partially_refunded"):
            delivered_ago = r.randint(1, 27)
        elif kind == "delivered_old":
            delivered_ago = r.randint(32, 120)
        else:
            delivered_ago = None
        if delivered_ago is not None:
            placed_ago = delivered_ago + r.randint(2, 6)
            shipped = _aware(placed_ago - 1, 10, today)
            delivered = _aware(delivered_ago, 14, today)
            expected = delivered.date()
        elif kind == "in_transit":
            placed_ago = r.randint(1, 4)
            shipped = _aware(placed_ago - 1 if placed_ago > 1 else 0, 10, today)
            expected = today + timedelta(days=r.randint(1, 4))
        elif kind == "late":
            placed_ago = r.randint(10, 20)
            shipped = _aware(placed_ago - 1, 10, today)
            expected = today - timedelta(days=r.randint(2, 6))
        else:
            placed_ago = r.randint(0, 25 if kind == "cancelled" else 2)
        order = self._create_order(
            number=number, customer=customer, skus=skus, status=status, placed=_aware(placed_ago, 12, today),
            shipped=shipped, delivered=delivered, expected=expected,
        )
        if kind in ("refunded", "partially_refunded"):
            amount = order.total if kind == "refunded" else (order.total / 2).quantize(Decimal("0.01"))
            refund = Refund.objects.create(
                order=order, amount=amount, currency=order.currency, reason="defective",
                status=Refund.Status.COMPLETED, requested_by=Refund.RequestedBy.AGENT,
                idempotency_key=f"demo:{order.number}", completed_at=delivered + timedelta(days=1),
            )
            order.refunded_total = amount
            order.transition_to(kind, actor=Actor.SYSTEM, note=f"Refund of {amount} {order.currency} (demo data)")
            order.save(update_fields=["refunded_total", "status"])
            order.status_changes.update(created_at=refund.completed_at)  # when the demo says it was refunded

    # --- FAQ ----------------------------------------------------------------------------------------------------
    def faq(self) -> None:
        for entry in FAQ_ENTRIES:
            faq_entry, created = FaqEntry.objects.get_or_create(
                key=entry["key"],
                language=entry["language"],
                defaults={"question": entry["question"], "answer": entry["answer"], "category": entry["category"]},
            )
            self._count("faq", created)
            # In one statement per entry: the tests build the demo hundreds of times.
            added = faq_services.add_phrasings(entry=faq_entry, texts=entry.get("phrasings", ()))
            if added:
                self.created["faq phrasings"] = self.created.get("faq phrasings", 0) + added

    def content_gaps(self) -> None:
        """Questions the demo FAQ has no article for (faq.demo_gaps), each asked as often as listed: found by text,
        language and source, and only the missing times are added. The nearest entry is what search finds now."""
        for question, language, source, days_ago, hour in UNANSWERED_QUESTIONS:
            existing = UnansweredQuestion.objects.filter(text=question, language=language, source=source).count()
            if existing >= len(days_ago):
                continue
            best = search.rank(question, language=language, limit=1)
            nearest = best[0] if best and best[0].score < search.relevance_bar() else None
            for days in days_ago[existing:]:
                UnansweredQuestion.objects.create(
                    text=question, terms=gaps.question_terms(question, language), language=language, source=source,
                    asked_at=_aware(days, hour, self.today), nearest_entry_id=nearest.id if nearest else None,
                    nearest_score=nearest.score if nearest else None)
                self._count("questions without an answer", True)

    # --- canned replies (the desk's composers, "/" + shortcut) ---------------------------------------------------
    def canned_replies(self) -> None:
        for shortcut, title_en, title_fr, english, french in CANNED_REPLIES:
            for language, title, body in (("en", title_en, english), ("fr", title_fr, french)):
                _, created = CannedReply.objects.get_or_create(
                    shortcut=shortcut, language=language, defaults={"title": title, "body": body})
                self._count("canned replies", created)
