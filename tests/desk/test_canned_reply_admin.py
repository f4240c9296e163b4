"""Admins edit the canned replies in the admin: each shortcut's languages side by side, placeholders checked."""

import pytest
from django.urls import reverse

from desk.models import CannedReply
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def add(admin_client, **fields):
    data = {"title": "Hello", "shortcut": "hello", "language": "en", "body": "Hi {first_name}!", "active": "on",
            **fields}
    return admin_client.post(reverse("admin:desk_cannedreply_add"), data)


def test_an_admin_adds_a_canned_reply(admin_client):
    response = add(admin_client)
    assert response.status_code == 302
    assert CannedReply.objects.get().body == "Hi {first_name}!"


def test_an_unknown_placeholder_is_a_form_error_naming_it_and_the_allowed_ones(admin_client):
    response = add(admin_client, body="Hi {firstname}, your order {order}")
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["body"])
    assert "{firstname}, {order}" in errors and "{first_name}" in errors and "{order_number}" in errors
    assert not CannedReply.objects.exists()


def test_a_second_reply_with_the_same_shortcut_and_language_is_refused(admin_client):
    add(admin_client)
    response = add(admin_client, title="Another")
    assert response.status_code == 200 and "already a reply with this shortcut" in response.content.decode()
    assert CannedReply.objects.count() == 1


def test_a_shortcut_is_one_lowercase_word(admin_client):
    response = add(admin_client, shortcut="Hello there")
    assert response.status_code == 200 and "shortcut" in response.context["adminform"].form.errors
    assert not CannedReply.objects.exists()


def test_the_list_puts_both_languages_together_and_offers_the_missing_one(admin_client):
    CannedReply.objects.create(shortcut="hello", language="en", title="Hello", body="Hi")
    CannedReply.objects.create(shortcut="hello", language="fr", title="Bonjour", body="Bonjour")
    CannedReply.objects.create(shortcut="bye", language="en", title="Bye", body="Bye")
    page = admin_client.get(reverse("admin:desk_cannedreply_changelist")).content.decode()
    assert page.index("/bye") < page.index("/hello")
    assert "add French" in page and "shortcut=bye" in page and "language=fr" in page


def test_the_change_page_shows_the_other_languages_text(admin_client):
    english = CannedReply.objects.create(shortcut="hello", language="en", title="Hello", body="Hi there")
    CannedReply.objects.create(shortcut="hello", language="fr", title="Bonjour", body="Bonjour à vous")
    page = admin_client.get(reverse("admin:desk_cannedreply_change", args=[english.pk])).content.decode()
    assert "Bonjour à vous" in page


def test_a_support_agent_cannot_edit_canned_replies(client):
    from tests.factories import AgentFactory

    client.force_login(AgentFactory())
    assert client.get(reverse("admin:desk_cannedreply_add")).status_code == 403
