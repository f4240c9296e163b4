"""The offline assistant streams its words at a readable pace: a wait between two words, never blocking the loop."""

import asyncio

import pytest

from assistant.llm import TextDelta, get_backend
from assistant.llm.base import FinalMessage, LLMRequest
from assistant.llm.offline import OfflineBackend
from assistant.llm.offline_drafts import DRAFT_TASK


def greeting_request() -> LLMRequest:
    return LLMRequest(system=[], messages=[{"role": "user", "content": "Hello"}],
                      hints={"language": "en", "store": "ShopExpress"})


class RecordingSleeper:
    """Stands in for asyncio.sleep: notes each wait, in order with the words yielded, and waits for nothing."""

    def __init__(self, timeline: list):
        self.timeline = timeline

    async def __call__(self, seconds: float) -> None:
        self.timeline.append(("sleep", seconds))


async def streamed(backend: OfflineBackend, request: LLMRequest, timeline: list) -> FinalMessage:
    final = None
    async for event in backend.stream(request):
        if isinstance(event, TextDelta):
            timeline.append(("word", event.text))
        elif isinstance(event, FinalMessage):
            final = event
    return final


async def test_with_pacing_the_backend_waits_the_interval_between_two_words_and_not_before_the_first():
    timeline: list = []
    backend = OfflineBackend(words_per_second=25, sleep=RecordingSleeper(timeline))
    final = await streamed(backend, greeting_request(), timeline)
    words = [text for kind, text in timeline if kind == "word"]
    assert len(words) >= 5 and "".join(words) == final.text
    assert [kind for kind, _ in timeline] == ["word"] + ["sleep", "word"] * (len(words) - 1)
    assert {seconds for kind, seconds in timeline if kind == "sleep"} == {0.04}


async def test_without_pacing_the_backend_only_gives_the_loop_its_turn_between_words():
    timeline: list = []
    backend = OfflineBackend(sleep=RecordingSleeper(timeline))
    await streamed(backend, greeting_request(), timeline)
    assert {seconds for kind, seconds in timeline if kind == "sleep"} == {0.0}


async def test_a_draft_for_an_agent_is_never_paced():
    timeline: list = []
    backend = OfflineBackend(words_per_second=25, sleep=RecordingSleeper(timeline))
    request = LLMRequest(system=[], messages=[{"role": "user", "content": "draft"}],
                         hints={"task": DRAFT_TASK, "language": "en", "last_customer_message": "thanks!"})
    final = await streamed(backend, request, timeline)
    assert final.text.startswith("Hi,")
    assert {seconds for kind, seconds in timeline if kind == "sleep"} == {0.0}


async def test_a_turn_cancelled_while_the_answer_is_paced_stops_at_once():
    backend = OfflineBackend(words_per_second=0.001)  # a thousand seconds between two words
    first_word = asyncio.Event()

    async def listen():
        async for event in backend.stream(greeting_request()):
            if isinstance(event, TextDelta):
                first_word.set()

    task = asyncio.create_task(listen())
    await first_word.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_the_assistant_streams_at_the_configured_pace_unless_asked_not_to(settings):
    settings.ANTHROPIC_API_KEY = ""
    settings.OFFLINE_WORDS_PER_SECOND = 20.0
    assert get_backend().pause == pytest.approx(0.05)
    assert get_backend(paced=False).pause == 0.0
    settings.OFFLINE_WORDS_PER_SECOND = 0.0
    assert get_backend().pause == 0.0


def test_the_tests_run_the_offline_assistant_without_pacing():
    from django.conf import settings

    assert settings.OFFLINE_WORDS_PER_SECOND == 0.0
