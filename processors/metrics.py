"""Prometheus metrics of the processor stages (names: idlib_processor_*); one registry per process or test."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ingest.contract import TAXONOMY

OUTCOMES = ("incidents", "no_incident", "not_relevant", "withdrawn", "dead_letter")
STAGES = ("decode", "nlp", "publish", "commit")
DEAD_LETTER_REASONS = ("undecodable", "invalid_article", "unknown_schema_version", "extractor_error")
STAGE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


@dataclass(frozen=True)
class LoopMetrics:
    """What every consume -> transform -> publish -> commit loop exports, under its stage's prefix."""

    registry: CollectorRegistry
    messages: Counter
    stage_duration: Histogram
    batch_size: Histogram
    dead_letters: Counter
    consumer_lag: Gauge
    last_batch: Gauge
    publish_retries: Counter
    poll_errors: Counter

    @classmethod
    def create(cls, prefix: str, registry: CollectorRegistry, outcomes: Sequence[str], stages: Sequence[str],
               reasons: Sequence[str]) -> LoopMetrics:  # fmt: skip
        m = cls(
            registry=registry,
            messages=Counter(f"{prefix}_messages_total", "Input messages handled, by outcome", ["outcome"],
                             registry=registry),
            stage_duration=Histogram(f"{prefix}_stage_duration_seconds", "Duration of each batch stage",
                                     ["stage"], buckets=STAGE_BUCKETS, registry=registry),
            batch_size=Histogram(f"{prefix}_batch_size", "Records per batch", buckets=BATCH_BUCKETS,
                                 registry=registry),
            dead_letters=Counter(f"{prefix}_dead_letters_total", "Messages sent to the dead-letter topic",
                                 ["reason"], registry=registry),
            consumer_lag=Gauge(f"{prefix}_consumer_lag", "Records behind the end of each assigned partition",
                               ["topic", "partition"], registry=registry),
            last_batch=Gauge(f"{prefix}_last_batch_timestamp_seconds",
                             "Unix time of the last batch fully published and committed", registry=registry),
            publish_retries=Counter(f"{prefix}_publish_retries_total",
                                    "Batches replayed because the broker did not acknowledge", registry=registry),
            poll_errors=Counter(f"{prefix}_poll_errors_total",
                                "Polls, and preparations of newly assigned partitions, that failed because the broker could not be reached (retried)", registry=registry),
        )  # fmt: skip
        for outcome in outcomes:
            m.messages.labels(outcome)
        for stage in stages:
            m.stage_duration.labels(stage)
        for reason in reasons:
            m.dead_letters.labels(reason)
        return m

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Times one stage of a batch into stage_duration{stage=name}."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stage_duration.labels(name).observe(time.perf_counter() - started)


EVENT_OUTCOMES = ("changed", "unchanged", "dead_letter")
EVENT_STAGES = ("decode", "consolidate", "publish", "commit")
EVENT_DEAD_LETTER_REASONS = ("undecodable", "invalid_snapshot", "unknown_schema_version")


@dataclass(frozen=True)
class EventsMetrics:
    """The consolidation stage: its loop's metrics (idlib_events_*), plus the events and the state it holds."""

    registry: CollectorRegistry
    loop: LoopMetrics
    active: Gauge
    merges: Counter
    retractions: Counter
    records: Counter
    state_articles: Gauge
    state_events: Gauge
    watermark: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> EventsMetrics:
        reg = registry or CollectorRegistry()
        return cls(
            registry=reg,
            loop=LoopMetrics.create("idlib_events", reg, EVENT_OUTCOMES, EVENT_STAGES, EVENT_DEAD_LETTER_REASONS),
            active=Gauge("idlib_events_active", "Active events held in the window", registry=reg),
            merges=Counter("idlib_events_merges_total", "Incidents that joined an existing event", registry=reg),
            retractions=Counter("idlib_events_retractions_total", "Events retracted (their last source left)",
                                registry=reg),
            records=Counter("idlib_events_records_total", "Event records published, by status", ["status"],
                            registry=reg),
            state_articles=Gauge("idlib_events_state_articles", "Articles whose contribution is held", registry=reg),
            state_events=Gauge("idlib_events_state_events", "Events held in memory (active and retracted)",
                               registry=reg),
            watermark=Gauge("idlib_events_watermark_timestamp_seconds",
                            "Unix time of the newest incident date consolidated (event-time progress)", registry=reg),
        )  # fmt: skip


SINK_OUTCOMES = ("active", "retracted", "deleted", "dead_letter")
SINK_STAGES = ("publish", "commit")
SINK_DEAD_LETTER_REASONS = ("invalid_event",)


def sink_metrics(registry: CollectorRegistry | None = None) -> LoopMetrics:
    """The database sink: its loop's metrics under idlib_sink_* (rows written = messages by outcome)."""
    return LoopMetrics.create("idlib_sink", registry or CollectorRegistry(), SINK_OUTCOMES, SINK_STAGES,
                              SINK_DEAD_LETTER_REASONS)  # fmt: skip


def watch_counter(registry: CollectorRegistry, names: Sequence[str]) -> Counter:
    """idlib_watch_events_total{watch}: label values are the configured watch names only, exported from zero."""
    counter = Counter("idlib_watch_events_total", "New or updated active events inside each place watch", ["watch"],
                      registry=registry)  # fmt: skip
    for name in names:
        counter.labels(name)
    return counter


@dataclass(frozen=True)
class ProcessorMetrics:
    """The extraction worker's metrics: its loop's, plus incidents by type and why articles gave none."""

    registry: CollectorRegistry
    loop: LoopMetrics
    incidents: Counter
    no_incident_reasons: Counter
    last_incident: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None, reasons: Sequence[str] = ()) -> ProcessorMetrics:
        """reasons: the extractor's closed set of no-incident reasons, exported at zero from the start."""
        reg = registry or CollectorRegistry()
        m = cls(
            registry=reg,
            loop=LoopMetrics.create("idlib_processor", reg, OUTCOMES, STAGES, DEAD_LETTER_REASONS),
            incidents=Counter("idlib_processor_incidents_total", "Incidents published, by ACLED event type",
                              ["event_type"], registry=reg),
            no_incident_reasons=Counter("idlib_processor_no_incident_total",
                                        "Articles that gave no incident, by reason", ["reason"], registry=reg),
            last_incident=Gauge("idlib_processor_last_incident_timestamp_seconds",
                                "Unix time an incident was last published", registry=reg),
        )  # fmt: skip
        for event_type in TAXONOMY:
            m.incidents.labels(event_type)
        for reason in reasons:
            m.no_incident_reasons.labels(reason)
        return m
