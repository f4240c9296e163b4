"""factory-boy factories for every model."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from conversations.models import Conversation, ConversationEvent, Message
from faq.models import FaqEntry
from orders.models import Customer, Order, OrderItem, Product, Refund
from tickets.models import Ticket


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("password")


class StaffFactory(UserFactory):
    is_staff = True


class AgentFactory(StaffFactory):
    """Staff with the support agents' permissions on tickets and conversations."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def permissions(self, create, extracted, **kwargs):
        if not create:
            return
        from django.contrib.auth.models import Permission

        codenames = ["view_ticket", "change_ticket", "view_conversation", "change_conversation", "view_message"]
        self.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    language = "en"
    user = None


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    price = Decimal("49.99")
    category = Product.Category.AUDIO


class OrderFactory(factory.django.DjangoModelFactory):
    """A delivered order, 5 days ago, within the refund window."""

    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"ORD-{10000 + n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    status = Order.Status.DELIVERED
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=9))
    shipped_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=8))
    delivered_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=5))
    expected_delivery = factory.LazyFunction(lambda: (timezone.now() - timedelta(days=5)).date())
    carrier = "UPS"
    tracking_number = factory.Sequence(lambda n: f"1Z{n:010d}")
    total = Decimal("89.99")
    currency = Order.Currency.USD

    class Params:
        in_transit = factory.Trait(
            status=Order.Status.SHIPPED,
            delivered_at=None,
            expected_delivery=factory.LazyFunction(lambda: (timezone.now() + timedelta(days=2)).date()),
        )
        late = factory.Trait(
            status=Order.Status.SHIPPED,
            delivered_at=None,
            expected_delivery=factory.LazyFunction(lambda: (timezone.now() - timedelta(days=3)).date()),
        )
        old = factory.Trait(delivered_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=45)))
        unshipped = factory.Trait(status=Order.Status.PAID, shipped_at=None, delivered_at=None, carrier="",
                                  tracking_number="", expected_delivery=None)


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    unit_price = factory.LazyAttribute(lambda item: item.product.price)


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    order = factory.SubFactory(OrderFactory)
    amount = Decimal("10.00")
    currency = factory.LazyAttribute(lambda r: r.order.currency)
    reason = Refund.Reason.DEFECTIVE
    status = Refund.Status.COMPLETED
    requested_by = Refund.RequestedBy.ASSISTANT
    idempotency_key = factory.Sequence(lambda n: f"test-refund-{n}")


class FaqEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqEntry

    question = factory.Sequence(lambda n: f"Question number {n}?")
    answer = "An answer."
    category = FaqEntry.Category.SHIPPING
    language = "en"
    published = True


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    customer = None
    language = "en"
    backend = "offline"


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    seq = factory.Sequence(lambda n: n + 1)
    role = Message.Role.CUSTOMER
    text = "Hello"
    content = factory.LazyAttribute(lambda m: [{"type": "text", "text": m.text}])


class ConversationEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConversationEvent

    conversation = factory.SubFactory(ConversationFactory)
    kind = ConversationEvent.Kind.ESCALATED
    actor = ConversationEvent.Actor.SYSTEM


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    subject = factory.Sequence(lambda n: f"Ticket {n}")
    kind = Ticket.Kind.FOLLOW_UP
    category = Ticket.Category.OTHER
    priority = Ticket.Priority.MEDIUM
    customer_email = "customer@example.com"
