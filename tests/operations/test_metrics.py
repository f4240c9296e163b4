"""/metrics (operations.views) and what feeds it (helpdesk.metrics): a token or a staff user, and the numbers an
operator watches: turns, latencies, tokens, model errors and retries, open sockets, queue depth, layer failures."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from assistant import turn
from conversations.models import Conversation
from helpdesk import metrics
from helpdesk.realtime import LayerHealth
from tests.chat.wsclient import connect, receive_until, send_message, settle_turns
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def samples(client, **headers) -> dict:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    return {"HTTP_AUTHORIZATION": "Bearer s3cret-metrics-token"}


def test_metrics_are_refused_without_a_token_or_a_staff_login(client, settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403


def test_metrics_are_refused_to_a_customer(client):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("emma", "emma@example.com", "pw"))
    assert client.get("/metrics").status_code == 403


def test_an_empty_token_setting_opens_nothing(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_a_staff_user_reads_the_metrics(client):
    client.force_login(AgentFactory())
    assert "helpdesk_queue_waiting_chats" in {name for name, _ in samples(client)}


def test_the_queue_depth_is_read_from_the_database(client, token):
    from tests.factories import ConversationFactory

    ConversationFactory.create_batch(2, status=Conversation.Status.WAITING)
    ConversationFactory(status=Conversation.Status.BOT)
    assert value(samples(client, **token), "helpdesk_queue_waiting_chats") == 2


@pytest.mark.django_db(transaction=True)
async def test_a_turn_is_counted_with_its_latencies_and_tokens():
    from prometheus_client import REGISTRY

    def read(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (read("helpdesk_turns_total", backend="offline", outcome="answered"),
              read("helpdesk_turn_first_word_seconds_count", backend="offline"),
              read("helpdesk_turn_seconds_count", backend="offline"),
              read("helpdesk_tokens_total", backend="offline", kind="input"))
    customer = await connect()
    await receive_until(customer, "state")
    await send_message(customer, "How long does standard shipping take?")
    await receive_until(customer, "assistant.message")
    await settle_turns()
    after = (read("helpdesk_turns_total", backend="offline", outcome="answered"),
             read("helpdesk_turn_first_word_seconds_count", backend="offline"),
             read("helpdesk_turn_seconds_count", backend="offline"),
             read("helpdesk_tokens_total", backend="offline", kind="input"))
    assert after[0] == before[0] + 1 and after[1] == before[1] + 1 and after[2] == before[2] + 1
    assert after[3] > before[3]
    assert read("helpdesk_open_sockets", kind="customer") >= 1
    open_before = read("helpdesk_open_sockets", kind="customer")
    await customer.disconnect()
    assert read("helpdesk_open_sockets", kind="customer") == open_before - 1
    assert not turn.running_turns()


def test_a_channel_layer_outage_is_counted_once_per_outage():
    from prometheus_client import REGISTRY

    before = REGISTRY.get_sample_value("helpdesk_channel_layer_failures_total", {"source": "subscribe"}) or 0.0
    health = LayerHealth()
    health.report_failure("subscribe", ConnectionError("refused"))
    health.report_failure("subscribe", ConnectionError("refused"))
    health.report_success("subscribe")
    health.report_failure("subscribe", ConnectionError("refused"))
    after = REGISTRY.get_sample_value("helpdesk_channel_layer_failures_total", {"source": "subscribe"})
    assert after == before + 2


def test_model_errors_and_retries_are_counted_by_kind():
    from prometheus_client import REGISTRY

    before = REGISTRY.get_sample_value("helpdesk_model_errors_total", {"backend": "claude", "kind": "overloaded"})
    metrics.record_model_error("claude", "overloaded")
    metrics.record_model_retry("claude")
    assert REGISTRY.get_sample_value("helpdesk_model_errors_total",
                                     {"backend": "claude", "kind": "overloaded"}) == (before or 0) + 1
    assert REGISTRY.get_sample_value("helpdesk_model_retries_total", {"backend": "claude"}) >= 1
