"""Prometheus metrics of the ingest service (names: idlib_ingest_*); one registry per service or test."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ingest.feeds import SKIP_REASONS
from ingest.fetch import OUTCOMES

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
BYTES_BUCKETS = (1e3, 1e4, 3e4, 1e5, 3e5, 1e6, 3e6, 1e7)
DROP_REASONS = ("no_text", "fetch_failed", "blocked")


@dataclass(frozen=True)
class IngestMetrics:
    registry: CollectorRegistry
    fetches: Counter
    fetch_duration: Histogram
    clean_duration: Histogram
    page_bytes: Histogram
    published: Counter
    dedup_hits: Counter
    near_duplicates: Counter
    extraction_failures: Counter
    summary_fallbacks: Counter
    bozo_feeds: Counter
    entries_seen: Counter
    entries_skipped: Counter
    publish_failures: Counter
    last_success: Gauge
    feed_up: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None, feed_ids: Iterable[str] = ()) -> IngestMetrics:
        reg = registry or CollectorRegistry()
        metrics = cls(
            registry=reg,
            fetches=Counter("idlib_ingest_fetches_total", "HTTP fetches by feed, kind and outcome",
                            ["feed", "kind", "outcome"], registry=reg),
            fetch_duration=Histogram("idlib_ingest_fetch_duration_seconds", "HTTP fetch duration", ["kind"],
                                     buckets=DURATION_BUCKETS, registry=reg),
            clean_duration=Histogram("idlib_ingest_clean_duration_seconds", "trafilatura cleaning duration",
                                     buckets=DURATION_BUCKETS, registry=reg),
            page_bytes=Histogram("idlib_ingest_page_bytes", "Size of downloaded article pages",
                                 buckets=BYTES_BUCKETS, registry=reg),
            published=Counter("idlib_ingest_articles_published_total", "Articles acknowledged by Kafka", ["feed"],
                              registry=reg),
            dedup_hits=Counter("idlib_ingest_dedup_hits_total", "Entries skipped as already published", ["feed"],
                               registry=reg),
            near_duplicates=Counter("idlib_ingest_near_duplicates_total",
                                    "Articles published as a copy of an earlier article (duplicate_of set)", ["feed"],
                                    registry=reg),
            extraction_failures=Counter("idlib_ingest_extraction_failures_total",
                                        "Pages dropped without publishing, by reason", ["feed", "reason"],
                                        registry=reg),
            summary_fallbacks=Counter("idlib_ingest_summary_fallbacks_total",
                                      "Articles published from the feed summary because the page had too little text",
                                      ["feed"], registry=reg),
            bozo_feeds=Counter("idlib_ingest_malformed_feeds_total", "Feeds parsed despite malformed XML", ["feed"],
                               registry=reg),
            entries_seen=Counter("idlib_ingest_feed_entries_total", "Entries read from feeds", ["feed"], registry=reg),
            entries_skipped=Counter("idlib_ingest_feed_entries_skipped_total",
                                    "Feed entries dropped, by reason (no_link, bad_link, not_http, over_cap)",
                                    ["feed", "reason"], registry=reg),
            publish_failures=Counter("idlib_ingest_publish_failures_total",
                                     "Publish attempts the broker did not acknowledge", registry=reg),
            last_success=Gauge("idlib_ingest_last_successful_poll_timestamp_seconds",
                               "Unix time of the last successful poll of each feed", ["feed"], registry=reg),
            feed_up=Gauge("idlib_ingest_feed_up", "1 if the last poll of the feed succeeded, else 0", ["feed"],
                          registry=reg),
        )  # fmt: skip
        for feed in feed_ids:
            for kind in ("feed", "page"):
                for outcome in OUTCOMES:
                    metrics.fetches.labels(feed, kind, outcome)
            for reason in DROP_REASONS:
                metrics.extraction_failures.labels(feed, reason)
            for counter in (metrics.published, metrics.dedup_hits, metrics.near_duplicates, metrics.summary_fallbacks, metrics.bozo_feeds,
                            metrics.entries_seen):  # fmt: skip
                counter.labels(feed)
            for reason in SKIP_REASONS:
                metrics.entries_skipped.labels(feed, reason)
        for kind in ("feed", "page", "robots"):
            metrics.fetch_duration.labels(kind)
        return metrics
