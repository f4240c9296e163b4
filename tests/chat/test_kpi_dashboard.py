"""The KPI dashboard and its CSV export in the admin; the demo history behind them."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chat.demo.conversations import DEMO_SESSION, DemoHistory
from chat.models import Conversation
from helpdesk.fingerprints import session_fingerprint
from tests.factories import ConversationFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_staff_see_each_kpi_beside_its_target(client):
    ConversationFactory(status="closed", outcome="resolved_by_assistant", csat_score=5, closed_at=timezone.now())
    client.force_login(StaffFactory())
    page = client.get(reverse("kpi-dashboard")).content.decode()
    for label in ["CSAT", "Auto-resolution", "Escalation", "Average resolution time", "Reopen rate"]:
        assert label in page
    assert "Target &gt; 4.2/5" in page and "✔ Met" in page and "<svg" in page


def test_the_dashboard_filters_by_language_and_dates(client):
    ConversationFactory(language="fr")
    ConversationFactory(language="en")
    client.force_login(StaffFactory())
    today = timezone.localdate()
    page = client.get(reverse("kpi-dashboard"), {"language": "fr", "start": str(today - timedelta(days=3)),
                                                 "end": str(today)}).content.decode()
    assert "1 conversation started" in page and "in FR" in page


def test_non_staff_get_the_admin_login_instead(client):
    client.force_login(UserFactory())
    response = client.get(reverse("kpi-dashboard"))
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert client.get(reverse("kpi-export")).status_code == 302


def test_the_csv_export_has_one_row_per_conversation(client):
    closed = ConversationFactory(status="closed", outcome="resolved_by_assistant", csat_score=4,
                                 verified_email="a@example.com")
    Conversation.objects.filter(pk=closed.pk).update(closed_at=closed.started_at + timedelta(seconds=90))
    ConversationFactory()
    client.force_login(StaffFactory())
    response = client.get(reverse("kpi-export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2
    row = next(r for r in rows if r["conversation"] == str(closed.pk))
    assert row["resolution_seconds"] == "90" and row["csat"] == "4" and row["verified_email"] == "a@example.com"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_demo_history_runs_the_assistant_over_thirty_days_and_only_once(demo_store):
    assert DemoHistory(count=12).build() == 12
    history = Conversation.objects.filter(session_key_hash=session_fingerprint(DEMO_SESSION))
    assert history.filter(status="closed").count() >= 10
    oldest = timezone.now() - timedelta(days=31)
    assert not history.filter(started_at__lt=oldest).exists()
    assert history.filter(csat_score__isnull=False).exists()
    assert history.filter(messages__role="assistant").distinct().count() == history.count()
    assert DemoHistory(count=12).build() == 0
