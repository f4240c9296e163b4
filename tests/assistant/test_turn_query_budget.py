"""Query budgets of a turn (the offline assistant, in this process, every thread counted): a regression that reads
the conversation once more per turn, or per tool, fails here. The budgets sit at the counts after issue 17's cuts."""

import pytest

from assistant.llm.offline import OfflineBackend
from tests.conversations.helpers import record_customer_message, run_turn, start_conversation
from tests.queries import every_thread

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_greeting_turn_stays_within_its_query_budget(django_assert_max_num_queries):
    conversation = await start_conversation()
    await record_customer_message(conversation, "Hi")
    with django_assert_max_num_queries(17, connection=every_thread()):  # 29 before issue 17, 27 after its first cuts
        sink = await run_turn(conversation, OfflineBackend())
    assert sink.texts


async def test_an_order_look_up_turn_stays_within_its_query_budget(demo_store, django_assert_max_num_queries):
    conversation = await start_conversation()
    await run_turn(conversation, OfflineBackend())
    await record_customer_message(conversation, "Where is my order ORD-55120? My email is emma.martin@example.com")
    with django_assert_max_num_queries(47, connection=every_thread()):  # 62 before issue 17, 60 after its first cuts
        sink = await run_turn(conversation, OfflineBackend())
    assert any("ORD-55120" in text for text in sink.texts)


async def test_an_faq_question_turn_stays_within_its_query_budget(demo_store, django_assert_max_num_queries):
    conversation = await start_conversation()
    await record_customer_message(conversation, "How long does standard shipping take?")
    with django_assert_max_num_queries(37, connection=every_thread()):  # 52 before issue 17, 50 after its first cuts
        sink = await run_turn(conversation, OfflineBackend())
    assert sink.texts
