"""A faithful fake of Anthropic's Messages API, served over loopback for tests and benchmarks.

Why a server and not a mock: our tests drive the *real* `anthropic` SDK (`AsyncAnthropic` / `Anthropic`) with
`base_url=fake.base_url`, so the SDK's own HTTP transport, SSE parsing, retry policy and error mapping are what
the code under test meets. Nothing inside the SDK is patched. Only the standard library is used: a small
HTTP/1.1 server on asyncio streams (keep-alive, `Content-Length` request bodies, `Transfer-Encoding: chunked`
event streams).

Contract::

    from tests.fakes.messages_api import FakeMessagesAPI, Reply, text, tool_use, Fault

    fake = FakeMessagesAPI(ttft=0.0, tokens_per_second=None, min_cacheable_tokens=0)
    await fake.start()                    # 127.0.0.1 on a free port (or: `async with FakeMessagesAPI() as fake:`)
    client = AsyncAnthropic(api_key="test-key", base_url=fake.base_url)
    fake.enqueue(Reply([text("Let me look."), tool_use("lookup_order", {"order_id": "ORD-78432"})]))
    fake.enqueue(Fault.rate_limit(retry_after=0), Reply([text("Done")]))
    fake.route(lambda req: "haiku" in req.body["model"], lambda req: Reply([text('{"score": 0.1}')]))
    fake.responder = my_fn                # (RecordedRequest) -> Reply | Fault, sync or async
    fake.requests                         # [RecordedRequest], in arrival order, every path and status
    fake.reset()
    await fake.stop()

    with FakeMessagesAPI.running_in_thread(ttft=0.5) as fake: ...     # for sync code: own loop, daemon thread
    python -m tests.fakes.messages_api --port 8765 --ttft 0.5 --tps 60  # prints the base_url, serves until ^C
        # (--port 0 picks a free port; --responder module:callable answers every request of another process)

Which answer a valid `POST /v1/messages` gets (auth and validation run first and consume nothing):
  1. the responder of the first route whose predicate matches the request;
  2. else the oldest item of the queue (`enqueue`);
  3. else `fake.responder`;
  4. else the text "(fake: no scripted reply)", so a forgotten script shows up in the transcript, not as an error.
Responders run on the fake's event loop and must be quick. If one raises, the request gets a 500 `api_error`
naming the exception, with `x-should-retry: false` so the SDK surfaces it at once instead of retrying. Note that
`tool_use()` draws its id when called: build a fresh Reply per request, as the API never repeats a tool_use id
(and this fake rejects a conversation that does).

Wire format (as the API sends it; see `anthropic/_streaming.py` and `anthropic/lib/streaming/_messages.py`):
non-streaming requests get one JSON Message. `"stream": true` gets `text/event-stream`, each frame an `event:` and
a `data:` line: message_start (usage with the input and cache fields, output_tokens 1), ping, then per content
block content_block_start, deltas (`text_delta` per word, long words in 4-character pieces; tool input as
`input_json_delta` pieces after an empty one, with `input: {}` in content_block_start), content_block_stop; then
message_delta (stop_reason and cumulative usage) and message_stop. Errors are
`{"type": "error", "error": {"type": ..., "message": ...}}`; every response has a `request-id` header.

Timing: `ttft` seconds pass before the first content delta; then the deltas are spread evenly so that the
message_delta comes `output_tokens / tokens_per_second` seconds later (`tokens_per_second=None`: no pacing).
A non-streaming reply waits the same total, then answers. Both can be overridden per Reply (a Reply's `None`
means "the fake's setting"; `tokens_per_second=float("inf")` turns pacing off for one reply).

Token counting, an approximation that is the same for every client: the prompt is a sequence of blocks in
cache-prefix order — each tool definition (name, description, input_schema, ...), each system block (a system
string is one text block) and each content block of each message (a string content is one text block). A block
costs ceil(len(J) / 4) tokens, where J is its canonical JSON (sorted keys, no spaces, non-ASCII kept, every
`cache_control` removed). Input tokens are the sum over all blocks; `POST /v1/messages/count_tokens` returns
that sum. Output tokens default to ceil(len(text) / 4) per text block plus ceil(len(name + compact JSON input) / 4)
per tool_use block, at least 1; `Reply(output_tokens=...)` overrides.

Prompt caching, modelled as the API does it: breakpoints are the blocks carrying `cache_control` (a
`cache_control` inside a tool_result's content marks that tool_result block), plus the last block when the
request has a top-level `cache_control` (which takes a slot of its own unless the last block already has one).
The prefix ending at block i is identified by a hash chained over the model and the blocks 0..i, so entries are
per model. A breakpoint whose prefix is under `min_cacheable_tokens` is ignored: neither read nor written, and no
error. Reading: from each breakpoint the fake looks back over it and the 19 blocks before it for a live entry
and takes the longest prefix found anywhere; its tokens are `cache_read_input_tokens` and its TTL is refreshed.
Writing: every breakpoint's prefix is stored (or refreshed) with its TTL (5 minutes, or 1 hour for
`"ttl": "1h"`, on the monotonic clock); the tokens from the end of the read prefix to the last breakpoint are
`cache_creation_input_tokens` (split by TTL in `usage.cache_creation`); the rest is `input_tokens`. So
input_tokens + cache_creation_input_tokens + cache_read_input_tokens is always the whole prompt. Requests that
end in an HTTP error leave the cache alone; streamed faults count as processed prompts.

Validation, answered with 400 `invalid_request_error` and a message naming the offending field: `model`,
`max_tokens` (a positive integer) and a non-empty `messages` list are required; the first message is from the
user and roles alternate; content is a non-empty string or a non-empty list of blocks (only a final assistant
message, a prefill, may be empty, and it must not end in whitespace); text blocks must contain non-whitespace
text; every assistant tool_use (ids unique in the conversation) is answered by a tool_result in the very next
user message, tool_result blocks come first in that message and answer only tool_use blocks of the message just
before; at most 4 cache breakpoints, `cache_control` of type "ephemeral" with `ttl` "5m" or "1h", and no "1h"
breakpoint after a "5m" one; custom tools have unique names matching ^[a-zA-Z0-9_-]{1,64}$ and an input_schema
of `"type": "object"`; `tool_choice` is auto/any/tool/none (a "tool" choice names a defined tool;
`disable_parallel_tool_use` is a boolean and not allowed with "none"); `system` is a string or a list of text
blocks. A missing key (neither `x-api-key` nor `Authorization: Bearer ...`) gets 401 `authentication_error`;
any other path or method gets 404 `not_found_error`.

Faults (`Fault.*`), for the failure paths the SDK and our code must survive:
  - `rate_limit(retry_after)`, `overloaded()`, `server_error()`, `http_error(status, type, message)`: plain HTTP
    errors (429 with a `retry-after` header, 529, 500, anything). The SDK retries 429 and 5xx; it obeys only a
    positive `retry-after`, so `retry_after=0` means its own backoff (about half a second) before the retry.
  - `error_mid_stream(after_text, error_type)`: a stream with some text, then an `event: error` frame, then the
    end. The SDK raises `APIStatusError` (status_code 200) and does not retry. A non-streaming request gets the
    matching HTTP error instead (overloaded_error 529, api_error 500, rate_limit_error 429).
  - `stall(seconds, after_text)`: a stream sends its headers, message_start, ping and the text, then goes silent
    for `seconds` and drops the connection. A non-streaming request gets silence, then the drop. With a client
    timeout shorter than `seconds`, the SDK raises `APITimeoutError` for a non-streaming request, but a stream
    that is already open raises httpx2's own `ReadTimeout` while it is read, unwrapped and not retried.
  - `truncated(after_text)`: a stream ends cleanly after the text, with no content_block_stop, message_delta or
    message_stop (the SDK raises nothing and leaves stop_reason None). A non-streaming request gets half of a
    body announced by Content-Length, then the drop (the SDK sees a connection error).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import inspect
import itertools
import json
import logging
import math
import re
import secrets
import signal
import string
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from http import HTTPStatus
from typing import Any, Literal, Self

logger = logging.getLogger(__name__)

NO_SCRIPT_TEXT = "(fake: no scripted reply)"
MAX_CACHE_BREAKPOINTS = 4
CACHE_LOOKBACK_BLOCKS = 20
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
TOOL_NAME_PATTERN = r"[a-zA-Z0-9_-]{1,64}"
TOOL_CHOICE_TYPES = ("auto", "any", "tool", "none")
ERROR_STATUS = {"invalid_request_error": 400, "rate_limit_error": 429, "api_error": 500, "overloaded_error": 529}
_DEFAULT_ERROR_MESSAGES = {"overloaded_error": "Overloaded", "api_error": "Internal server error"}
_NO_RETRY = {"x-should-retry": "false"}
_USAGE_INPUT_FIELDS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
_ID_ALPHABET = string.ascii_letters + string.digits
_WORD = re.compile(r"\s*\S+|\s+")


# --- what a script is made of ---------------------------------------------------------------------------------


def text(value: str) -> dict[str, Any]:
    """A text content block."""
    return {"type": "text", "text": value}


def tool_use(name: str, input: Mapping[str, Any], id: str | None = None) -> dict[str, Any]:
    """A tool_use content block; without `id`, a fresh unique one like the API's (`toolu_01...`)."""
    return {"type": "tool_use", "id": id or _new_id("toolu_"), "name": name, "input": dict(input)}


@dataclass(frozen=True)
class Reply:
    """A successful answer: the assistant's content blocks (made with `text` and `tool_use`).

    `stop_reason` defaults to "tool_use" when a tool_use block is present, else "end_turn". `output_tokens`
    defaults to the approximation in the module docstring. `ttft` and `tokens_per_second` override the fake's
    timing for this reply; None keeps the fake's own.
    """

    content: Sequence[dict[str, Any]]
    stop_reason: str | None = None
    output_tokens: int | None = None
    ttft: float | None = None
    tokens_per_second: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "content", tuple(self.content))
        unsupported = [block for block in self.content if not _is_reply_block(block)]
        if unsupported:
            raise ValueError(f"Reply content must be text or tool_use blocks, got {unsupported}")

    @property
    def final_stop_reason(self) -> str:
        if self.stop_reason is not None:
            return self.stop_reason
        return "tool_use" if any(block["type"] == "tool_use" for block in self.content) else "end_turn"

    @property
    def final_output_tokens(self) -> int:
        if self.output_tokens is not None:
            return self.output_tokens
        return max(1, sum(_output_tokens_of(block) for block in self.content))


def _is_reply_block(block: Any) -> bool:
    return isinstance(block, dict) and block.get("type") in ("text", "tool_use")


FaultKind = Literal["http_error", "error_mid_stream", "stall", "truncated", "malformed"]


@dataclass(frozen=True)
class Fault:
    """A failure to play instead of a reply; build one with the class methods, each documented below."""

    kind: FaultKind
    status: int = 200
    error_type: str = ""
    message: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    after_text: str = ""
    seconds: float = 0.0

    @classmethod
    def http_error(cls, status: int, error_type: str, message: str, headers: Mapping[str, str] | None = None) -> Fault:
        """Any HTTP error: `status` with an error body of `error_type` and `message`, plus extra `headers`."""
        return cls("http_error", status=status, error_type=error_type, message=message, headers=dict(headers or {}))

    @classmethod
    def rate_limit(cls, retry_after: float | None = None, message: str = "Rate limited, please retry later") -> Fault:
        """429 rate_limit_error, with a `retry-after` header (seconds) when given.

        Beware: the SDK only obeys a positive `retry-after`; 0 falls back to its own backoff (about 0.4-0.5 s
        before the first retry), so pass a small positive value such as 0.01 for an immediate retry.
        """
        headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
        return cls.http_error(429, "rate_limit_error", message, headers)

    @classmethod
    def overloaded(cls, message: str = "Overloaded") -> Fault:
        """529 overloaded_error (the SDK raises `OverloadedError` once retries are spent)."""
        return cls.http_error(529, "overloaded_error", message)

    @classmethod
    def server_error(cls, message: str = "Internal server error") -> Fault:
        """500 api_error."""
        return cls.http_error(500, "api_error", message)

    @classmethod
    def error_mid_stream(
        cls, after_text: str = "", error_type: str = "overloaded_error", message: str | None = None
    ) -> Fault:
        """Stream `after_text`, then an `event: error` frame of `error_type`, then end the stream."""
        message = message if message is not None else _DEFAULT_ERROR_MESSAGES.get(error_type, error_type)
        return cls("error_mid_stream", error_type=error_type, message=message, after_text=after_text)

    @classmethod
    def stall(cls, seconds: float = 30.0, after_text: str = "") -> Fault:
        """Send the stream's headers, message_start and `after_text`, go silent for `seconds`, drop the line."""
        return cls("stall", seconds=seconds, after_text=after_text)

    @classmethod
    def malformed(cls, after_text: str = "", how: Literal["bad_json", "unknown_block"] = "bad_json") -> Fault:
        """Stream `after_text`, then a frame the SDK cannot handle, then end the stream: `bad_json` sends a data line
        that is not JSON; `unknown_block` sends a content_block_delta for a block index that never started."""
        return cls("malformed", after_text=after_text, error_type=how)

    @classmethod
    def truncated(cls, after_text: str = "") -> Fault:
        """Stream `after_text` and end the stream without content_block_stop, message_delta or message_stop."""
        return cls("truncated", after_text=after_text)


@dataclass
class RecordedRequest:
    """One request as the fake received it, and what it answered.

    `headers` are lower-cased; `body` is the parsed JSON (None when it was not JSON). `status` and
    `response_usage` (the usage the response carried: the final one for a reply, message_start's for a streamed
    fault, `{"input_tokens": n}` for count_tokens) are filled in once the response starts. `response_usage` stays
    None for HTTP errors; both stay None while the answer is pending and when the connection was dropped
    without one (a non-streaming stall).
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    request_id: str
    status: int | None = None
    response_usage: dict[str, Any] | None = None

    @property
    def stream(self) -> bool:
        return isinstance(self.body, dict) and self.body.get("stream") is True

    @property
    def system_text(self) -> str:
        """The system prompt as plain text (blocks joined by newlines), handy in route predicates."""
        system = self.body.get("system") if isinstance(self.body, dict) else None
        if isinstance(system, list):
            return "\n".join(block.get("text", "") for block in system if isinstance(block, dict))
        return system or ""


Answer = Reply | Fault
Responder = Callable[[RecordedRequest], Answer | Awaitable[Answer]]
Predicate = Callable[[RecordedRequest], bool]


# --- the server --------------------------------------------------------------------------------------------------


class FakeMessagesAPI:
    """The fake Messages API server; see the module docstring for the contract.

    `ttft`, `tokens_per_second` and `min_cacheable_tokens` are plain attributes and may be changed at any time.
    Scripting methods (`enqueue`, `route`, `reset`, `responder`) may be called from any thread.
    """

    def __init__(
        self,
        ttft: float = 0.0,
        tokens_per_second: float | None = None,
        min_cacheable_tokens: int = 0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.ttft = ttft
        self.tokens_per_second = tokens_per_second
        self.min_cacheable_tokens = min_cacheable_tokens
        self.host = host
        self.port = port
        self.responder: Responder | None = None
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Answer] = deque()
        self._routes: list[tuple[Predicate, Responder]] = []
        self._cache = _PromptCache()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._endpoints = {("POST", "/v1/messages"): self._messages, ("POST", "/v1/messages/count_tokens"): self._count}

    # lifecycle

    async def start(self) -> None:
        """Listen on `host`; with port 0 (the default) the OS picks a free port, readable from `base_url`."""
        self._server = await asyncio.start_server(self._serve_connection, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and cut every open connection (stalled streams included). Safe to call twice."""
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeMessagesAPI is not running: await start() first")
        return f"http://{self.host}:{self.port}"

    @classmethod
    @contextlib.contextmanager
    def running_in_thread(cls, *args: Any, **kwargs: Any) -> Iterator[FakeMessagesAPI]:
        """Run a fake (built with these arguments) on its own event loop in a daemon thread, for sync callers."""
        fake = cls(*args, **kwargs)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="FakeMessagesAPI", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(fake.start(), loop).result(timeout=10)
            yield fake
        finally:
            asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()

    # scripting

    def enqueue(self, *answers: Answer) -> None:
        """Append answers to the FIFO queue used by requests that no route matched."""
        for answer in answers:
            if not isinstance(answer, (Reply, Fault)):
                raise TypeError(f"enqueue() takes Reply or Fault objects, got {answer!r}")
        self._queue.extend(answers)

    @property
    def pending(self) -> int:
        """How many queued answers are still unused."""
        return len(self._queue)

    def route(self, predicate: Predicate, responder: Responder) -> None:
        """Answer requests matching `predicate` with `responder`, before the queue; first added route wins."""
        self._routes.append((predicate, responder))

    def reset(self) -> None:
        """Forget the queue, routes, responder, recorded requests and cache entries."""
        self._queue.clear()
        self._routes.clear()
        self.responder = None
        self.requests.clear()
        self._cache.clear()

    # HTTP plumbing

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        connection = _Connection(reader, writer)
        try:
            while (request := await connection.read_request()) is not None:
                if not await self._handle(connection, request) or not request.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client left, or stop() cut the connection: end quietly (a cancelled task would be logged)
        finally:
            self._connections.discard(task)
            connection.close()

    async def _handle(self, connection: _Connection, http: _HttpRequest) -> bool:
        """Answer one request; returns whether the connection can carry another."""
        received = time.monotonic()
        recorded = RecordedRequest(http.method, http.path, http.headers, _parse_json(http.body), _new_id("req_"))
        self.requests.append(recorded)
        try:
            endpoint = self._endpoints.get((http.method, http.path))
            if endpoint is None:
                raise _ApiError(404, "not_found_error", f"Not found: {http.method} {http.path}")
            _check_auth(http.headers)
            if recorded.body is None:
                raise _ApiError(400, "invalid_request_error", "The request body is not valid JSON")
            return await endpoint(connection, recorded, received)
        except _ApiError as error:
            return await _send_error(connection, recorded, Fault.http_error(error.status, error.error_type, str(error)))
        except ConnectionError:
            raise  # the client went away; nothing to answer
        except Exception as error:  # a bug in a responder or in the fake: make it loud, not retried
            logger.exception("fake Messages API failed on %s %s", http.method, http.path)
            if connection.response_started:
                connection.abort()
                return False
            message = f"fake Messages API failed: {error!r}"
            return await _send_error(connection, recorded, Fault.http_error(500, "api_error", message, _NO_RETRY))

    # endpoints

    async def _count(self, connection: _Connection, request: RecordedRequest, received: float) -> bool:
        _validate(request.body, require_max_tokens=False)
        usage = {"input_tokens": sum(_Prompt.of(request.body).tokens)}
        request.status, request.response_usage = 200, usage
        await connection.send_json(200, usage, request.request_id)
        return True

    async def _messages(self, connection: _Connection, request: RecordedRequest, received: float) -> bool:
        _validate(request.body, require_max_tokens=True)
        answer = await self._answer_for(request)
        failure = _as_http_failure(answer, request.stream)
        if failure is not None:
            return await _send_error(connection, request, failure)
        input_usage = self._cache.account(request.body["model"], _Prompt.of(request.body), self.min_cacheable_tokens)
        ttft, generation = self._timing(answer)
        if request.stream:
            return await _stream(connection, request, answer, input_usage, received + ttft, generation)
        return await _answer_whole(connection, request, answer, input_usage, received + ttft + generation)

    async def _answer_for(self, request: RecordedRequest) -> Answer:
        for predicate, responder in list(self._routes):
            if predicate(request):
                return await _call(responder, request)
        with contextlib.suppress(IndexError):
            return self._queue.popleft()
        if self.responder is not None:
            return await _call(self.responder, request)
        return Reply([text(NO_SCRIPT_TEXT)])

    def _timing(self, answer: Answer) -> tuple[float, float]:
        """(seconds to the first delta, seconds from there to message_delta) for this answer."""
        if isinstance(answer, Fault):
            ttft, tps, tokens = self.ttft, self.tokens_per_second, _tokens(answer.after_text)
        else:
            ttft = self.ttft if answer.ttft is None else answer.ttft
            tps = self.tokens_per_second if answer.tokens_per_second is None else answer.tokens_per_second
            tokens = answer.final_output_tokens
        return ttft, tokens / tps if tps else 0.0


async def _call(responder: Responder, request: RecordedRequest) -> Answer:
    answer = responder(request)
    if inspect.isawaitable(answer):
        answer = await answer
    if not isinstance(answer, (Reply, Fault)):
        raise TypeError(f"responder {responder!r} returned {answer!r}, not a Reply or Fault")
    return answer


def _as_http_failure(answer: Answer, stream: bool) -> Fault | None:
    """The HTTP error to send for `answer`, if it is one (a mid-stream error without a stream becomes one)."""
    if not isinstance(answer, Fault):
        return None
    if answer.kind == "http_error":
        return answer
    if answer.kind == "error_mid_stream" and not stream:
        return Fault.http_error(ERROR_STATUS.get(answer.error_type, 500), answer.error_type, answer.message)
    return None


async def _send_error(connection: _Connection, request: RecordedRequest, fault: Fault) -> bool:
    request.status = fault.status
    body = {"type": "error", "error": {"type": fault.error_type, "message": fault.message}}
    await connection.send_json(fault.status, body, request.request_id, fault.headers)
    return True


async def _answer_whole(
    connection: _Connection, request: RecordedRequest, answer: Answer, input_usage: dict[str, Any], due: float
) -> bool:
    """A non-streaming answer: the Message at `due`, or the fault's non-streaming form."""
    if isinstance(answer, Fault) and answer.kind == "stall":
        await asyncio.sleep(answer.seconds)
        connection.abort()
        return False
    await _sleep_until(due)
    model = request.body["model"]
    if isinstance(answer, Reply):
        usage = {**input_usage, "output_tokens": answer.final_output_tokens}
        request.status, request.response_usage = 200, usage
        message = _message(model, list(answer.content), answer.final_stop_reason, usage)
        await connection.send_json(200, message, request.request_id)
        return True
    usage = {**input_usage, "output_tokens": max(1, _tokens(answer.after_text))}
    request.status, request.response_usage = 200, usage
    content = [text(answer.after_text)] if answer.after_text else []
    await connection.send_truncated_json(_message(model, content, None, usage), request.request_id)
    return False


async def _stream(
    connection: _Connection,
    request: RecordedRequest,
    answer: Answer,
    input_usage: dict[str, Any],
    first_delta_at: float,
    generation: float,
) -> bool:
    """A streamed answer: the event frames of a reply, or of a fault up to its failure."""
    opening_usage = {**input_usage, "output_tokens": 1}
    opening = _message(request.body["model"], [], None, opening_usage)
    frames = [_Frame("message_start", {"type": "message_start", "message": opening}), _Frame("ping", {"type": "ping"})]
    if isinstance(answer, Reply):
        frames += _content_frames(answer.content) + _closing_frames(answer, input_usage)
        request.response_usage = {**input_usage, "output_tokens": answer.final_output_tokens}
    else:
        frames += _block_frames(0, text(answer.after_text))[:-1] if answer.after_text else []
        if answer.kind == "error_mid_stream":
            error = {"type": "error", "error": {"type": answer.error_type, "message": answer.message}}
            frames.append(_Frame("error", error, "end"))
        elif answer.kind == "malformed" and answer.error_type == "unknown_block":
            delta = {"type": "content_block_delta", "index": 7, "delta": {"type": "text_delta", "text": "lost"}}
            frames.append(_Frame("content_block_delta", delta, "end"))
        request.response_usage = opening_usage
    request.status = 200
    await connection.open_event_stream(request.request_id)
    await _send_frames(connection, frames, first_delta_at, generation)
    if isinstance(answer, Fault) and answer.kind == "malformed" and answer.error_type == "bad_json":
        await connection.send_raw_event("content_block_delta", "{not json")
    if isinstance(answer, Fault) and answer.kind == "stall":
        await asyncio.sleep(answer.seconds)
        connection.abort()
        return False
    await connection.close_event_stream()
    return True


# --- event frames ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """One SSE frame. `pace`: "now" goes out at once, "delta" frames are spread over the generation time,
    "end" waits for the end of it."""

    event: str
    data: dict[str, Any]
    pace: Literal["now", "delta", "end"] = "now"


async def _send_frames(connection: _Connection, frames: list[_Frame], first_delta_at: float, generation: float) -> None:
    deltas = sum(frame.pace == "delta" for frame in frames) or 1
    sent = 0
    for frame in frames:
        if frame.pace == "delta":
            await _sleep_until(first_delta_at + generation * sent / deltas)
            sent += 1
        elif frame.pace == "end":
            await _sleep_until(first_delta_at + generation)
        await connection.send_event(frame.event, frame.data)


def _content_frames(content: Sequence[dict[str, Any]]) -> list[_Frame]:
    return [frame for index, block in enumerate(content) for frame in _block_frames(index, block)]


def _block_frames(index: int, block: dict[str, Any]) -> list[_Frame]:
    """content_block_start, its deltas and content_block_stop for one text or tool_use block."""
    if block["type"] == "text":
        opening: dict[str, Any] = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": piece} for piece in _chunks(block["text"])]
    else:
        opening = {**block, "input": {}}
        pieces = ["", *_chunks(json.dumps(block["input"], ensure_ascii=False))]
        deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in pieces]
    return [
        _Frame("content_block_start", {"type": "content_block_start", "index": index, "content_block": opening}),
        *(
            _Frame("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}, "delta")
            for delta in deltas
        ),
        _Frame("content_block_stop", {"type": "content_block_stop", "index": index}),
    ]


def _closing_frames(reply: Reply, input_usage: dict[str, Any]) -> list[_Frame]:
    usage = {**{key: input_usage[key] for key in _USAGE_INPUT_FIELDS}, "output_tokens": reply.final_output_tokens}
    delta = {"stop_reason": reply.final_stop_reason, "stop_sequence": None}
    return [
        _Frame("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}, "end"),
        _Frame("message_stop", {"type": "message_stop"}),
    ]


def _message(
    model: str, content: list[dict[str, Any]], stop_reason: str | None, usage: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": _new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }


def _chunks(value: str) -> list[str]:
    """Token-sized pieces of `value`: a word with its leading whitespace, long words in 4-character pieces."""
    pieces: list[str] = []
    for word in _WORD.findall(value):
        pieces += [word] if len(word) <= 8 else [word[i : i + 4] for i in range(0, len(word), 4)]
    return pieces


# --- tokens and the prompt cache ----------------------------------------------------------------------------------


def _tokens(chars: str) -> int:
    return math.ceil(len(chars) / 4)


def _canonical(value: Any) -> str:
    return json.dumps(_without_cache_control(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _without_cache_control(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_cache_control(item) for key, item in value.items() if key != "cache_control"}
    if isinstance(value, list):
        return [_without_cache_control(item) for item in value]
    return value


def _output_tokens_of(block: dict[str, Any]) -> int:
    if block["type"] == "text":
        return _tokens(block["text"])
    return _tokens(block["name"] + json.dumps(block["input"], separators=(",", ":"), ensure_ascii=False))


def _blocks_of(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [text(content)] if isinstance(content, str) else content


def _prompt_blocks(body: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every cacheable block in prefix order (tools, system, messages) as (field path, tag, block)."""
    blocks = [(f"tools.{i}", "tool", tool) for i, tool in enumerate(body.get("tools") or [])]
    system = body.get("system") or []
    if isinstance(system, str):
        blocks.append(("system", "system", text(system)))
    else:
        blocks += [(f"system.{i}", "system", block) for i, block in enumerate(system)]
    for i, message in enumerate(body["messages"]):
        content = message["content"]
        if isinstance(content, str):
            blocks.append((f"messages.{i}.content", message["role"], text(content)))
        else:
            blocks += [(f"messages.{i}.content.{j}", message["role"], block) for j, block in enumerate(content)]
    return blocks


def _cache_marks(path: str, block: dict[str, Any]) -> list[tuple[str, Any]]:
    """The `cache_control` values on a block, inner ones (in a tool_result's content) first, with their paths."""
    inner = block.get("content") if block.get("type") == "tool_result" else None
    marks = []
    if isinstance(inner, list):
        marks = [
            (f"{path}.content.{k}.cache_control", item["cache_control"])
            for k, item in enumerate(inner)
            if isinstance(item, dict) and item.get("cache_control") is not None
        ]
    if block.get("cache_control") is not None:
        marks.append((f"{path}.cache_control", block["cache_control"]))
    return marks


def _breakpoints(body: dict[str, Any]) -> list[tuple[int, str, Any]]:
    """(block index, field path, cache_control) for every breakpoint, the top-level one last."""
    blocks = _prompt_blocks(body)
    found = [
        (i, path, mark) for i, (where, _tag, block) in enumerate(blocks) for path, mark in _cache_marks(where, block)
    ]
    automatic = body.get("cache_control")
    last = len(blocks) - 1
    if automatic is not None and not (found and found[-1][0] == last):
        found.append((last, "cache_control", automatic))
    return found


@dataclass(frozen=True)
class _Prompt:
    """A request's prompt as the cache sees it: per block, its identity and token count; and the breakpoints."""

    materials: list[str]
    tokens: list[int]
    breakpoints: dict[int, str]  # block index -> ttl

    @classmethod
    def of(cls, body: dict[str, Any]) -> _Prompt:
        canonical = [(tag, _canonical(block)) for _path, tag, block in _prompt_blocks(body)]
        breakpoints = {i: mark.get("ttl", "5m") for i, _path, mark in _breakpoints(body)}
        return cls([f"{tag}:{c}" for tag, c in canonical], [_tokens(c) for _tag, c in canonical], breakpoints)


class _PromptCache:
    """Cache entries: prefix hash (chained over the model and the blocks) -> (expiry, ttl seconds)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, float]] = {}

    def clear(self) -> None:
        self._entries.clear()

    def account(self, model: str, prompt: _Prompt, min_tokens: int) -> dict[str, Any]:
        """Read and write the cache for one request and return its input usage fields."""
        now = time.monotonic()
        keys = _prefix_keys(model, prompt.materials)
        prefix = list(itertools.accumulate(prompt.tokens))
        eligible = [(i, ttl) for i, ttl in sorted(prompt.breakpoints.items()) if prefix[i] >= min_tokens]
        hit = self._longest_hit(keys, prefix, [i for i, _ttl in eligible], min_tokens, now)
        read = covered = prefix[hit] if hit is not None else 0
        created = dict.fromkeys(TTL_SECONDS, 0)
        for i, ttl in eligible:
            self._store(keys[i], TTL_SECONDS[ttl], now)
            if prefix[i] > covered:
                created[ttl] += prefix[i] - covered
                covered = prefix[i]
        return {
            "input_tokens": prefix[-1] - covered,
            "cache_creation_input_tokens": sum(created.values()),
            "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_5m_input_tokens": created["5m"], "ephemeral_1h_input_tokens": created["1h"]},
        }

    def _longest_hit(
        self, keys: list[str], prefix: list[int], breakpoints: list[int], min_tokens: int, now: float
    ) -> int | None:
        hits = [
            next((j for j in range(i, max(-1, i - CACHE_LOOKBACK_BLOCKS), -1) if self._live(keys[j], now)), None)
            for i in breakpoints
        ]
        best = max((j for j in hits if j is not None and prefix[j] >= min_tokens), default=None)
        if best is not None:
            self._store(keys[best], self._entries[keys[best]][1], now)
        return best

    def _live(self, key: str, now: float) -> bool:
        entry = self._entries.get(key)
        return entry is not None and entry[0] > now

    def _store(self, key: str, ttl: float, now: float) -> None:
        expiry, old_ttl = self._entries.get(key, (0.0, 0.0))
        self._entries[key] = (max(expiry, now + ttl), max(ttl, old_ttl))


def _prefix_keys(model: str, materials: list[str]) -> list[str]:
    digest = sha256(model.encode())
    keys = []
    for material in materials:
        digest.update(b"\0" + material.encode())
        keys.append(digest.copy().hexdigest())
    return keys


# --- validation --------------------------------------------------------------------------------------------------


class _ApiError(Exception):
    """An error response: HTTP `status` with an error body of `error_type` and the exception's message."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_type = status, error_type


def _invalid(message: str) -> _ApiError:
    return _ApiError(400, "invalid_request_error", message)


def _check_auth(headers: dict[str, str]) -> None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if headers.get("x-api-key", "").strip() or (scheme.lower() == "bearer" and token.strip()):
        return
    raise _ApiError(401, "authentication_error", "invalid x-api-key")


def _validate(body: Any, *, require_max_tokens: bool) -> None:
    """Raise the 400 the API would give this body, if any."""
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object")
    _check_top_level(body, require_max_tokens)
    _check_system(body.get("system"))
    _check_tools(body.get("tools"))
    _check_tool_choice(body.get("tool_choice"), body.get("tools") or [])
    _check_messages(body.get("messages"))
    _check_cache_controls(body)


def _check_top_level(body: dict[str, Any], require_max_tokens: bool) -> None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise _invalid("model: Field required")
    if require_max_tokens:
        if "max_tokens" not in body:
            raise _invalid("max_tokens: Field required")
        max_tokens = body["max_tokens"]
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
            raise _invalid("max_tokens: Input should be a valid integer")
        if max_tokens < 1:
            raise _invalid("max_tokens: Input should be greater than or equal to 1")
    if not isinstance(body.get("stream", False), bool):
        raise _invalid("stream: Input should be a valid boolean")


def _check_text(block: dict[str, Any], path: str) -> None:
    value = block.get("text")
    if not isinstance(value, str):
        raise _invalid(f"{path}.text: Field required")
    if not value:
        raise _invalid(f"{path}.text: text content blocks must be non-empty")
    if not value.strip():
        raise _invalid(f"{path}.text: text content blocks must contain non-whitespace text")


def _check_system(system: Any) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list):
        raise _invalid("system: Input should be a valid string or a list of text blocks")
    for i, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise _invalid(f"system.{i}: system blocks must be text blocks")
        _check_text(block, f"system.{i}")


def _check_tools(tools: Any) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise _invalid("tools: Input should be a valid list")
    names: set[str] = set()
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise _invalid(f"tools.{i}: Input should be a valid dictionary")
        if tool.get("type", "custom") != "custom":
            continue  # a server tool (web search, ...) is defined by the API, not by its caller
        name = tool.get("name")
        if not isinstance(name, str) or not re.fullmatch(TOOL_NAME_PATTERN, name):
            raise _invalid(f"tools.{i}.name: String should match pattern '^{TOOL_NAME_PATTERN}$', got {name!r}")
        if name in names:
            raise _invalid(f"tools: Tool names must be unique; {name!r} is defined more than once")
        names.add(name)
        schema = tool.get("input_schema")
        if not isinstance(schema, dict):
            raise _invalid(f"tools.{i}.input_schema: Field required (a JSON Schema object)")
        if schema.get("type") != "object":
            raise _invalid(f"tools.{i}.input_schema.type: Input should be 'object'")


def _check_tool_choice(choice: Any, tools: list[dict[str, Any]]) -> None:
    if choice is None:
        return
    if not isinstance(choice, dict) or choice.get("type") not in TOOL_CHOICE_TYPES:
        raise _invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")
    kind = choice["type"]
    if kind in ("any", "tool") and not tools:
        raise _invalid("tool_choice: tool_choice may only be specified while providing tools")
    if kind == "tool" and choice.get("name") not in {tool.get("name") for tool in tools}:
        raise _invalid(f"tool_choice.name: no tool named {choice.get('name')!r} is defined in tools")
    if "disable_parallel_tool_use" in choice:
        if kind == "none":
            raise _invalid("tool_choice.none.disable_parallel_tool_use: Extra inputs are not permitted")
        if not isinstance(choice["disable_parallel_tool_use"], bool):
            raise _invalid(f"tool_choice.{kind}.disable_parallel_tool_use: Input should be a valid boolean")


def _check_messages(messages: Any) -> None:
    if messages is None:
        raise _invalid("messages: Field required")
    if not isinstance(messages, list):
        raise _invalid("messages: Input should be a valid list")
    if not messages:
        raise _invalid("messages: at least one message is required")
    for i, message in enumerate(messages):
        _check_message(i, message, final=i == len(messages) - 1)
    _check_roles(messages)
    _check_tool_pairing(messages)


def _check_message(i: int, message: Any, *, final: bool) -> None:
    path = f"messages.{i}"
    if not isinstance(message, dict):
        raise _invalid(f"{path}: Input should be a valid dictionary")
    role = message.get("role")
    if role not in ("user", "assistant"):
        raise _invalid(f"{path}.role: Input should be 'user' or 'assistant'")
    content = message.get("content")
    if not isinstance(content, (str, list)):
        raise _invalid(f"{path}.content: Input should be a valid string or a list of content blocks")
    prefill = final and role == "assistant"
    if not content and not prefill:
        raise _invalid(
            f"{path}: all messages must have non-empty content except for the optional final assistant message"
        )
    if isinstance(content, str) and content and not content.strip() and not prefill:
        raise _invalid(f"{path}.content: text content must contain non-whitespace text")
    if isinstance(content, list):
        for j, block in enumerate(content):
            _check_block(f"{path}.content.{j}", block, role)
    if prefill and content:
        last = _blocks_of(content)[-1]
        if last.get("type") == "text" and last["text"] != last["text"].rstrip():
            raise _invalid(f"{path}: final assistant content cannot end with trailing whitespace")


def _check_block(path: str, block: Any, role: str) -> None:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        raise _invalid(f"{path}: a content block must be an object with a 'type'")
    kind = block["type"]
    if kind == "text":
        _check_text(block, path)
    elif kind == "tool_use":
        if role != "assistant":
            raise _invalid(f"{path}: `tool_use` blocks may only appear in assistant messages")
        well_formed = isinstance(block.get("id"), str) and isinstance(block.get("name"), str)
        if not (well_formed and isinstance(block.get("input"), dict)):
            raise _invalid(f"{path}: a `tool_use` block needs a string `id`, a string `name` and an object `input`")
    elif kind == "tool_result":
        if role != "user":
            raise _invalid(f"{path}: `tool_result` blocks may only appear in user messages")
        if not isinstance(block.get("tool_use_id"), str):
            raise _invalid(f"{path}.tool_use_id: Field required")
        inner = block.get("content")
        for k, item in enumerate(inner if isinstance(inner, list) else []):
            if isinstance(item, dict) and item.get("type") == "text":
                _check_text(item, f"{path}.content.{k}")


def _check_roles(messages: list[dict[str, Any]]) -> None:
    if messages[0]["role"] != "user":
        raise _invalid('messages.0.role: the first message must use the "user" role')
    for i in range(1, len(messages)):
        role = messages[i]["role"]
        if role == messages[i - 1]["role"]:
            raise _invalid(
                f'messages.{i}: roles must alternate between "user" and "assistant", '
                f'but found multiple "{role}" roles in a row'
            )


def _check_tool_pairing(messages: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for i, message in enumerate(messages):
        blocks = _blocks_of(message["content"])
        if message["role"] == "assistant":
            following = messages[i + 1] if i + 1 < len(messages) else None
            _check_answered(i, _unique_tool_use_ids(i, blocks, seen), following)
        else:
            offered = _tool_use_ids(_blocks_of(messages[i - 1]["content"])) if i else []
            _check_tool_results(i, blocks, offered)


def _tool_use_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [block["id"] for block in blocks if block["type"] == "tool_use"]


def _unique_tool_use_ids(i: int, blocks: list[dict[str, Any]], seen: set[str]) -> list[str]:
    for j, block in enumerate(blocks):
        if block["type"] == "tool_use":
            if block["id"] in seen:
                raise _invalid(f"messages.{i}.content.{j}: `tool_use` ids must be unique; {block['id']} is repeated")
            seen.add(block["id"])
    return _tool_use_ids(blocks)


def _check_answered(i: int, ids: list[str], following: dict[str, Any] | None) -> None:
    replies = _blocks_of(following["content"]) if following else []
    answered = {block["tool_use_id"] for block in replies if block["type"] == "tool_result"}
    missing = [tool_use_id for tool_use_id in ids if tool_use_id not in answered]
    if missing:
        raise _invalid(
            f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks immediately after: "
            f"{', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` block "
            "in the next message."
        )


def _check_tool_results(i: int, blocks: list[dict[str, Any]], offered: list[str]) -> None:
    answered: set[str] = set()
    for j, block in enumerate(blocks):
        if block["type"] != "tool_result":
            continue
        path, tool_use_id = f"messages.{i}.content.{j}", block["tool_use_id"]
        if any(earlier["type"] != "tool_result" for earlier in blocks[:j]):
            raise _invalid(
                f"{path}: `tool_result` blocks must come first in the user message's content, before any other block"
            )
        if tool_use_id not in offered:
            raise _invalid(
                f"{path}: unexpected `tool_use_id` found in `tool_result` blocks: {tool_use_id}. "
                "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
            )
        if tool_use_id in answered:
            raise _invalid(f"{path}: `tool_use` id {tool_use_id} is answered by more than one `tool_result` block")
        answered.add(tool_use_id)


def _check_cache_controls(body: dict[str, Any]) -> None:
    breakpoints = _breakpoints(body)
    if body.get("cache_control") is not None:
        _check_cache_mark("cache_control", body["cache_control"])
    for _i, path, mark in breakpoints:
        _check_cache_mark(path, mark)
    if len(breakpoints) > MAX_CACHE_BREAKPOINTS:
        raise _invalid(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {len(breakpoints)}."
        )
    ttls = [mark.get("ttl", "5m") for _i, _path, mark in breakpoints]
    if "5m" in ttls and "1h" in ttls[ttls.index("5m") :]:
        raise _invalid("cache_control: a ttl='1h' breakpoint must not come after a ttl='5m' breakpoint")


def _check_cache_mark(path: str, mark: Any) -> None:
    if not isinstance(mark, dict) or mark.get("type") != "ephemeral":
        raise _invalid(f"{path}.type: Input should be 'ephemeral'")
    if mark.get("ttl", "5m") not in TTL_SECONDS:
        raise _invalid(f"{path}.ttl: Input should be '5m' or '1h'")


# --- HTTP/1.1 ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


class _Connection:
    """One client connection: requests are read in turn (keep-alive), responses written with Content-Length or,
    for event streams, chunked."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._keep_alive = True
        self.response_started = False

    async def read_request(self) -> _HttpRequest | None:
        """The next request, or None when the client closed the connection or sent garbage."""
        line = await self._reader.readline()
        parts = line.decode("latin-1").split()
        if len(parts) != 3:
            return None
        method, target, version = parts
        headers: dict[str, str] = {}
        while (header := await self._reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        body = await self._reader.readexactly(length) if length else b""
        self._keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        self.response_started = False
        return _HttpRequest(method, target.split("?", 1)[0], headers, body, self._keep_alive)

    async def send_json(
        self, status: int, payload: Any, request_id: str, headers: Mapping[str, str] | None = None
    ) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        await self._write(self._head(status, request_id, {**(headers or {}), **_json_headers(len(body))}) + body)

    async def send_truncated_json(self, payload: Any, request_id: str) -> None:
        """Announce the whole body but send half of it, then drop the connection."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        await self._write(self._head(200, request_id, _json_headers(len(body))) + body[: len(body) // 2])
        self.abort()

    async def open_event_stream(self, request_id: str) -> None:
        headers = {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            "transfer-encoding": "chunked",
        }
        await self._write(self._head(200, request_id, headers))

    async def send_event(self, event: str, data: dict[str, Any]) -> None:
        frame = f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
        await self._write(b"%x\r\n%s\r\n" % (len(frame), frame))

    async def send_raw_event(self, event: str, data: str) -> None:
        """A frame whose data line is sent as given (a malformed stream)."""
        frame = f"event: {event}\ndata: {data}\n\n".encode()
        await self._write(b"%x\r\n%s\r\n" % (len(frame), frame))

    async def close_event_stream(self) -> None:
        await self._write(b"0\r\n\r\n")

    def abort(self) -> None:
        self._writer.transport.abort()

    def close(self) -> None:
        self._writer.close()

    def _head(self, status: int, request_id: str, headers: Mapping[str, str]) -> bytes:
        self.response_started = True
        lines = [
            f"HTTP/1.1 {status} {_reason(status)}",
            f"request-id: {request_id}",
            f"connection: {'keep-alive' if self._keep_alive else 'close'}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _write(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()


def _json_headers(length: int) -> dict[str, str]:
    return {"content-type": "application/json", "content-length": str(length)}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Overloaded" if status == 529 else "Unknown"


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _new_id(prefix: str) -> str:
    return prefix + "01" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(22))


async def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


# --- command line ------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.messages_api",
        description="Serve the fake Anthropic Messages API until interrupted; prints its base_url first.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    parser.add_argument("--ttft", type=float, default=0.0, help="seconds before the first content delta")
    parser.add_argument("--tps", type=float, default=None, help="output tokens per second (default: no pacing)")
    parser.add_argument("--min-cacheable-tokens", type=int, default=0)
    parser.add_argument("--responder", help="module:callable answering every request (default: the no-script text)")
    asyncio.run(_serve_until_signalled(parser.parse_args(argv)))


async def _serve_until_signalled(args: argparse.Namespace) -> None:
    fake = FakeMessagesAPI(args.ttft, args.tps, args.min_cacheable_tokens, host=args.host, port=args.port)
    if args.responder:
        module, _, attribute = args.responder.partition(":")
        fake.responder = getattr(importlib.import_module(module), attribute)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with fake:
        print(fake.base_url, flush=True)
        await stop.wait()


if __name__ == "__main__":
    # Run the importable module's copy, so that a --responder importing Reply/Fault from it builds the same classes.
    from tests.fakes.messages_api import main as importable_main

    importable_main()
