"""Prometheus metrics of the processor workers (names: idlib_processor_*); one registry per worker or test."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ingest.contract import TAXONOMY

OUTCOMES = ("incidents", "no_incident", "not_relevant", "dead_letter")
STAGES = ("decode", "nlp", "publish", "commit")
DEAD_LETTER_REASONS = ("undecodable", "invalid_article", "unknown_schema_version", "extractor_error")
STAGE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


@dataclass(frozen=True)
class ProcessorMetrics:
    registry: CollectorRegistry
    messages: Counter
    incidents: Counter
    stage_duration: Histogram
    batch_size: Histogram
    dead_letters: Counter
    consumer_lag: Gauge
    last_batch: Gauge
    last_incident: Gauge
    publish_retries: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> ProcessorMetrics:
        reg = registry or CollectorRegistry()
        m = cls(
            registry=reg,
            messages=Counter("idlib_processor_messages_total", "Article messages handled, by outcome", ["outcome"],
                             registry=reg),
            incidents=Counter("idlib_processor_incidents_total", "Incidents published, by ACLED event type",
                              ["event_type"], registry=reg),
            stage_duration=Histogram("idlib_processor_stage_duration_seconds", "Duration of each batch stage",
                                     ["stage"], buckets=STAGE_BUCKETS, registry=reg),
            batch_size=Histogram("idlib_processor_batch_size", "Records per batch", buckets=BATCH_BUCKETS,
                                 registry=reg),
            dead_letters=Counter("idlib_processor_dead_letters_total", "Messages sent to the dead-letter topic",
                                 ["reason"], registry=reg),
            consumer_lag=Gauge("idlib_processor_consumer_lag", "Records behind the end of each assigned partition",
                               ["topic", "partition"], registry=reg),
            last_batch=Gauge("idlib_processor_last_batch_timestamp_seconds",
                             "Unix time of the last batch fully published and committed", registry=reg),
            last_incident=Gauge("idlib_processor_last_incident_timestamp_seconds",
                                "Unix time an incident was last published", registry=reg),
            publish_retries=Counter("idlib_processor_publish_retries_total",
                                    "Batches replayed because the broker did not acknowledge", registry=reg),
        )  # fmt: skip
        for outcome in OUTCOMES:
            m.messages.labels(outcome)
        for event_type in TAXONOMY:
            m.incidents.labels(event_type)
        for stage in STAGES:
            m.stage_duration.labels(stage)
        for reason in DEAD_LETTER_REASONS:
            m.dead_letters.labels(reason)
        return m
