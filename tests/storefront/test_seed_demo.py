"""The demo store: realistic, relative to today, and idempotent."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from faq.demo_gaps import UNANSWERED_QUESTIONS
from faq.gaps import content_gaps
from faq.models import FaqEntry, UnansweredQuestion
from faq.search import search_faq
from orders.models import Customer, Order, Product, Refund
from storefront.demo.store import DemoStore

pytestmark = pytest.mark.django_db


def counts():
    return (Customer.objects.count(), Product.objects.count(), Order.objects.count(), FaqEntry.objects.count(),
            Refund.objects.count(), UnansweredQuestion.objects.count())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_running_seed_demo_twice_changes_nothing():
    from conversations.models import Conversation

    call_command("seed_demo", "--conversations", "6", stdout=StringIO())
    assert Conversation.objects.count() >= 5
    first = counts()
    snapshot = list(Order.objects.order_by("number").values_list("number", "status", "total", "placed_at"))
    out = StringIO()
    call_command("seed_demo", "--conversations", "6", stdout=out)
    assert counts() == first
    assert list(Order.objects.order_by("number").values_list("number", "status", "total", "placed_at")) == snapshot
    assert "nothing to do" in out.getvalue()


def test_the_demo_store_has_the_size_the_issue_asks_for():
    DemoStore().build()
    assert Product.objects.count() == 15 and Customer.objects.count() == 25 and Order.objects.count() == 80
    assert FaqEntry.objects.filter(language="en").count() >= 20 and FaqEntry.objects.filter(language="fr").count() >= 20
    assert set(Order.objects.values_list("status", flat=True)) == set(Order.Status.values)


def test_the_demo_has_questions_without_an_answer_in_both_languages_some_asked_several_times():
    DemoStore().build()
    DemoStore().build()
    assert UnansweredQuestion.objects.count() == sum(len(days) for *_rest, days, _hour in UNANSWERED_QUESTIONS)
    groups = content_gaps().groups
    for language in ("en", "fr"):
        assert max(g.count for g in groups if g.language == language) >= 3
    assert any(g.nearest is not None for g in groups)


def test_the_demo_questions_without_an_answer_are_ones_the_demo_faq_cannot_answer():
    DemoStore().build()
    answered = [(q, language) for q, language, *_rest in UNANSWERED_QUESTIONS if search_faq(q, language=language)]
    assert answered == []


def test_the_source_documents_order_belongs_to_emma_and_was_delivered_fourteen_days_ago():
    DemoStore().build()
    order = Order.objects.select_related("customer__user").get(number="ORD-78432")
    assert order.customer.email == "emma.martin@example.com" and order.customer.user.check_password("demo")
    assert order.total == Decimal("89.99") and order.items.get().product.name == "ProMax Audio Headphones"
    assert order.delivered_at.date() == timezone.localdate() - timedelta(days=14)


def test_orders_cover_every_situation_a_support_team_meets():
    DemoStore().build()
    today = timezone.localdate()
    delivered = Order.objects.filter(status="delivered")
    assert delivered.filter(delivered_at__gte=timezone.now() - timedelta(days=30)).exists()
    assert delivered.filter(delivered_at__lt=timezone.now() - timedelta(days=30)).exists()
    assert Order.objects.filter(status="shipped", expected_delivery__gte=today).exclude(tracking_number="").exists()
    assert Order.objects.filter(status="shipped", expected_delivery__lt=today).exists()
    assert Order.objects.filter(status="refunded", refunded_total__gt=0).exists()


def test_demo_staff_can_work_the_queue():
    from django.contrib.auth.models import User

    DemoStore().build()
    sam = User.objects.get(username="sam")
    assert sam.is_staff and sam.has_perm("tickets.change_ticket") and not sam.is_superuser
    assert User.objects.get(username="admin").is_superuser


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_demo_tickets_moved_back_in_time_keep_their_first_response_and_target_with_them():
    from tickets.models import Ticket

    call_command("seed_demo", "--conversations", "12", stdout=StringIO())
    moved = Ticket.objects.filter(conversation__isnull=False, first_response_due_at__isnull=False)
    assert moved.exists()
    for ticket in moved:
        assert ticket.created_at < ticket.first_response_due_at < ticket.created_at + timedelta(days=2)
        if ticket.first_response_at:
            assert ticket.created_at <= ticket.first_response_at < ticket.created_at + timedelta(hours=1)
