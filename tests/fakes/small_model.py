"""Fixed answers for the small model's calls (sentiment classification, memory summaries), so a test's script is
only the main model's replies."""

from assistant.sentiment import CLASSIFIER_SYSTEM

from .messages_api import FakeMessagesAPI, Reply, text

NEUTRAL = '{"score": 0.0, "abusive": false, "wants_human": false, "threat": false, "reason": "neutral"}'


def answer_small_model_calls(api: FakeMessagesAPI, *, sentiment: str = NEUTRAL, summary: str = "A summary.") -> None:
    """Route the classifier's and the summarizer's requests to these answers, whatever the main script says."""
    api.route(lambda request: request.system_text.startswith(CLASSIFIER_SYSTEM[:30]),
              lambda request: Reply([text(sentiment)]))
    api.route(lambda request: "You summarize customer support conversations" in request.system_text,
              lambda request: Reply([text(summary)]))
