"""Command line of the ingest service: `idlib-ingest [--once] [--feeds FILE] ...` (flags override INGEST_* env)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from prometheus_client import start_http_server
from pydantic import ValidationError

from ingest.contract import ConfigurationError, jsonlog, topics
from ingest.contract.broker import ensure_topics
from ingest.contract.errors import BrokerUnavailable
from ingest.dedup import SeenStore
from ingest.feedlist import load_feeds
from ingest.fetch import Fetcher, FetchSettings
from ingest.metrics import IngestMetrics
from ingest.publish import ArticlePublisher
from ingest.service import IngestService, Policy, cleaning_pool
from ingest.settings import IngestSettings

log = logging.getLogger("ingest")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idlib-ingest", description=__doc__)
    parser.add_argument("--once", action="store_true", help="poll every feed once, then exit")
    parser.add_argument("--feeds", dest="feeds_file", help="feed list YAML (INGEST_FEEDS_FILE)")
    parser.add_argument("--seen-db", dest="seen_db_path", help="SQLite seen-store (INGEST_SEEN_DB_PATH)")
    parser.add_argument("--bootstrap-servers", dest="kafka_bootstrap_servers", help="Kafka (KAFKA_BOOTSTRAP_SERVERS)")
    parser.add_argument("--topic", help="output topic (INGEST_TOPIC)")
    parser.add_argument("--metrics-port", type=int, help="Prometheus port, 0 = off (INGEST_METRICS_PORT)")
    parser.add_argument("--user-agent", help="HTTP User-Agent (INGEST_USER_AGENT)")
    parser.add_argument("--log-level", help="INFO, DEBUG... (INGEST_LOG_LEVEL)")
    return parser


def settings_from(args: argparse.Namespace) -> IngestSettings:
    overrides = {k: v for k, v in vars(args).items() if k != "once" and v is not None}
    return IngestSettings(**overrides)


async def serve(settings: IngestSettings, once: bool) -> int:
    feeds = load_feeds(settings.feeds_file)
    metrics = IngestMetrics.create(feed_ids=[f.id for f in feeds])
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_host, registry=metrics.registry)
    if settings.create_topics:
        await _ensure_topics(settings)
    fetcher = Fetcher(FetchSettings(
        user_agent=settings.user_agent, connect_timeout_seconds=settings.connect_timeout_seconds,
        read_timeout_seconds=settings.read_timeout_seconds, total_timeout_seconds=settings.total_timeout_seconds,
        max_page_bytes=settings.max_page_bytes, max_redirects=settings.max_redirects,
        per_host_concurrency=settings.per_host_concurrency, min_host_delay_seconds=settings.min_host_delay_seconds,
        allow_networks=tuple(settings.allow_networks), respect_robots=settings.respect_robots,
    ))  # fmt: skip
    store = SeenStore(settings.seen_db_path)
    near = store.near_duplicates(settings.near_duplicate_threshold, settings.near_duplicate_capacity)
    publisher = ArticlePublisher(settings.kafka_bootstrap_servers, settings.topic, settings.publish_timeout_seconds,
                                 settings.publish_linger_ms)  # fmt: skip
    service = IngestService(
        feeds, fetcher, store, publisher.publish, metrics,
        Policy(min_text_chars=settings.min_text_chars, min_summary_chars=settings.min_summary_chars,
               jitter_fraction=settings.poll_jitter_fraction, backoff_base_seconds=settings.backoff_base_seconds,
               backoff_max_seconds=settings.backoff_max_seconds, max_concurrent_feeds=settings.max_concurrent_feeds,
               clean_processes=settings.clean_processes),
        near, cleaning_pool(settings.clean_processes),
    )  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("ingest started", extra={"feeds": len(feeds), "topic": settings.topic, "once": once,
                                      "bootstrap": settings.kafka_bootstrap_servers})  # fmt: skip
    try:
        await service.run(stop, once=once)
    finally:
        await fetcher.aclose()
        if service.cleaners is not None:
            service.cleaners.shutdown(cancel_futures=True)
        await asyncio.to_thread(publisher.close)
        store.close()
        log.info("ingest stopped")
    return 0


async def _ensure_topics(settings: IngestSettings) -> None:
    """Create the articles topic when missing; a broker that is down now is retried by the publisher later."""
    try:
        await asyncio.to_thread(ensure_topics, settings.kafka_bootstrap_servers,
                                {settings.topic: topics.DEFAULT_PARTITIONS.get(settings.topic, 6)}, 10.0)  # fmt: skip
    except (BrokerUnavailable, Exception) as exc:
        log.warning("could not ensure topics at start-up", extra={"reason": f"{type(exc).__name__}: {exc}"})


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
        jsonlog.configure(settings.log_level)
        return asyncio.run(serve(settings, args.once))
    except (ValidationError, ConfigurationError) as exc:
        print(f"error: bad configuration: {exc}", file=sys.stderr)
        return 2
    except Exception:  # the process boundary: log and exit 1
        logging.getLogger("ingest").exception("ingest crashed")
        return 1


if __name__ == "__main__":
    sys.exit(main())
