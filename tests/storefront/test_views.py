"""The storefront pages and the admin, as a visitor and as staff."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_home_page_shows_the_store_name_products_and_the_chat_widget(client, demo_store):
    page = client.get("/").content.decode()
    assert "ShopExpress" in page and "ProMax Audio Headphones" in page
    assert 'id="chat"' in page and "js/chat.js" in page


def test_the_home_page_starts_a_session_for_the_chat(client):
    response = client.get("/")
    assert "sessionid" in response.cookies


def test_a_customer_logs_in_with_their_email_in_any_case(client, demo_store):
    response = client.post(reverse("storefront:login"), {"username": "Emma.Martin@Example.com", "password": "demo"})
    assert response.status_code == 302
    assert "Hi, Emma" in client.get("/").content.decode()


def test_a_wrong_password_is_refused_with_a_message(client, demo_store):
    response = client.post(reverse("storefront:login"), {"username": "emma.martin@example.com", "password": "no"})
    assert response.status_code == 200 and b"role=\"alert\"" in response.content


def test_the_storefront_speaks_french_when_the_browser_does(client):
    page = client.get("/chat/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'lang="fr"' in page and "Écrivez votre message" in page


def test_the_admin_shows_orders_tickets_and_the_faq_to_the_demo_admin(client, demo_store):
    assert client.login(username="admin", password="admin")
    for name in ["orders_order", "tickets_ticket", "faq_faqentry", "orders_refund", "conversations_conversation"]:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_pages_carry_a_content_security_policy_with_a_nonce(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "frame-ancestors 'none'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()
