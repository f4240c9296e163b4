"""Operational metrics for whoever runs the helpdesk, with prometheus_client (served by operations.views.metrics).

Each process counts its own work. Under several processes on one host (deploy/), PROMETHEUS_MULTIPROC_DIR names a
directory they share, emptied before they start: prometheus_client then keeps the values in files there and any
process's /metrics adds them all up, so a scrape that nginx sends to one process still sees the whole host. The
variable must be set before this module is imported (the process manager's environment does that). Without it
(`make run`, tests) the values live in this process's default registry.

Record through the helpers below, never by touching prometheus_client from domain code: one place names the
metrics and their labels, and no label ever carries user text (a label value is a new time series).
"""

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.registry import REGISTRY

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")

# Seconds: a streamed first word within a second is the goal; a full turn with tools may take tens of seconds.
FIRST_WORD_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)
TURN_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 60.0, 120.0)

TURNS = Counter("helpdesk_turns", "Customer turns answered, by backend and outcome.", ["backend", "outcome"])
FIRST_WORD_SECONDS = Histogram("helpdesk_turn_first_word_seconds",
                               "From the start of a turn to the first word shown to the customer.", ["backend"],
                               buckets=FIRST_WORD_BUCKETS)
TURN_SECONDS = Histogram("helpdesk_turn_seconds", "A whole turn: model calls, tools and storage.", ["backend"],
                         buckets=TURN_BUCKETS)
MODEL_CALLS = Counter("helpdesk_model_calls", "Model calls made by turns.", ["backend"])
MODEL_ERRORS = Counter("helpdesk_model_errors", "Model calls that failed, by kind (overloaded, timeout, …).",
                       ["backend", "kind"])
MODEL_RETRIES = Counter("helpdesk_model_retries", "Model requests sent again after a failure (the SDK's and ours).",
                        ["backend"])
TOKENS = Counter("helpdesk_tokens", "Model tokens, by kind: input, output, cache_read, cache_write.",
                 ["backend", "kind"])
OPEN_SOCKETS = Gauge("helpdesk_open_sockets", "Open websockets, by kind (customer, agent, queue).", ["kind"],
                     multiprocess_mode="livesum")
CHANNEL_LAYER_FAILURES = Counter("helpdesk_channel_layer_failures",
                                 "Times the channel layer became unreachable, by source (publish, subscribe).",
                                 ["source"])
DRAINING = Gauge("helpdesk_draining_processes", "Processes shutting down gracefully (SIGTERM received).",
                 multiprocess_mode="livesum")


def record_turn(*, backend: str, outcome: str, seconds: float, first_word_seconds: float | None, calls: int,
                usage) -> None:
    """One finished turn: its outcome, its latencies, its model calls and their tokens (a Usage)."""
    TURNS.labels(backend, outcome).inc()
    TURN_SECONDS.labels(backend).observe(seconds)
    if first_word_seconds is not None:
        FIRST_WORD_SECONDS.labels(backend).observe(first_word_seconds)
    if calls:
        MODEL_CALLS.labels(backend).inc(calls)
    for kind, count in (("input", usage.input_tokens), ("output", usage.output_tokens),
                        ("cache_read", usage.cache_read_tokens), ("cache_write", usage.cache_write_tokens)):
        if count:
            TOKENS.labels(backend, kind).inc(count)


def record_model_error(backend: str, kind: str) -> None:
    MODEL_ERRORS.labels(backend, kind).inc()


def record_model_retry(backend: str) -> None:
    MODEL_RETRIES.labels(backend).inc()


def socket_opened(kind: str) -> None:
    OPEN_SOCKETS.labels(kind).inc()


def socket_closed(kind: str) -> None:
    OPEN_SOCKETS.labels(kind).dec()


def record_channel_layer_failure(source: str) -> None:
    CHANNEL_LAYER_FAILURES.labels(source).inc()


def set_draining(draining: bool) -> None:
    DRAINING.set(1 if draining else 0)


def process_exited(pid: int) -> None:
    """Drop a finished process's live gauges (open sockets, draining) from the shared directory."""
    if MULTIPROCESS_DIR:
        multiprocess.mark_process_dead(pid)


def exposition(*extra_collectors) -> bytes:
    """The text exposition format: this host's processes (or this process) plus `extra_collectors`, which are
    read at scrape time (the agents' queue depth, say)."""
    if MULTIPROCESS_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_DefaultRegistry())
    for collector in extra_collectors:
        registry.register(collector)
    return generate_latest(registry)


class _DefaultRegistry:
    """This process's default registry, as a collector of a per-scrape registry."""

    def collect(self):
        return REGISTRY.collect()

    def describe(self):
        return []
