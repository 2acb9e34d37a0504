"""The ingest loop: poll feeds on schedule, fetch and clean new pages, publish Articles, remember what was sent."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ingest.clean import Cleaned, NoUsableText, clean_html, text_of_summary
from ingest.contract import Article, BrokerUnavailable, content_hash
from ingest.dedup import Seen, SeenStore
from ingest.feedlist import FeedConfig
from ingest.feeds import Entry, parse_feed
from ingest.fetch import Fetcher, FetchError, Response
from ingest.metrics import IngestMetrics
from ingest.similar import NearDuplicates, signature

log = logging.getLogger(__name__)

Publish = Callable[[Article], Awaitable[tuple[int, int]]]


@dataclass
class FeedState:
    failures: int = 0
    next_due: float = 0.0


@dataclass(frozen=True)
class Policy:
    min_text_chars: int = 300
    min_summary_chars: int = 120
    jitter_fraction: float = 0.1
    backoff_base_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    max_concurrent_feeds: int = 8
    clean_processes: int = 1


def cleaning_pool(processes: int) -> Executor | None:
    """Processes for trafilatura (CPU-bound: in a thread it shares the event loop's core). 0: a thread instead."""
    if processes <= 0:
        return None
    return ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"))


@dataclass
class IngestService:
    feeds: Sequence[FeedConfig]
    fetcher: Fetcher
    store: SeenStore
    publish: Publish
    metrics: IngestMetrics
    policy: Policy = field(default_factory=Policy)
    near: NearDuplicates = field(default_factory=NearDuplicates)
    cleaners: Executor | None = None  # where trafilatura runs: a process pool (another core), else a thread
    states: dict[str, FeedState] = field(default_factory=dict)
    broker_failures: int = 0

    def __post_init__(self) -> None:
        self.states = {f.id: FeedState() for f in self.feeds}
        self._slots = asyncio.Semaphore(self.policy.max_concurrent_feeds)

    # -- scheduling --------------------------------------------------------------------------------------------
    def _backoff(self, failures: int) -> float:
        delay = min(
            self.policy.backoff_max_seconds, self.policy.backoff_base_seconds * float(2 ** max(0, failures - 1))
        )
        return delay * random.uniform(1.0, 1.0 + self.policy.jitter_fraction)

    def _interval(self, feed: FeedConfig) -> float:
        jitter = feed.poll_interval_seconds * self.policy.jitter_fraction
        return feed.poll_interval_seconds + random.uniform(-jitter, jitter)

    async def run(self, stop: asyncio.Event, once: bool = False) -> None:
        """Poll every feed at its interval until stop is set; with once, poll each feed one time and return."""
        if once:
            await asyncio.gather(*(self.poll(feed) for feed in self.feeds))
            return
        await asyncio.gather(*(self._loop(feed, stop) for feed in self.feeds))

    async def _loop(self, feed: FeedConfig, stop: asyncio.Event) -> None:
        state = self.states[feed.id]
        state.next_due = time.monotonic() + random.uniform(0, min(5.0, feed.poll_interval_seconds * 0.1))
        while not stop.is_set():
            wait = state.next_due - time.monotonic()
            if wait > 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                    return
                except TimeoutError:
                    pass
            try:
                await self.poll(feed)
            except Exception:  # the per-feed boundary: one feed's bug must not stop the others
                log.exception("feed poll crashed", extra={"feed": feed.id})
                state.failures += 1
                state.next_due = time.monotonic() + self._backoff(state.failures)

    # -- one poll ----------------------------------------------------------------------------------------------
    async def poll(self, feed: FeedConfig) -> None:
        async with self._slots:
            await self._poll(feed)

    async def _poll(self, feed: FeedConfig) -> None:
        state = self.states[feed.id]
        etag, last_modified = self.store.feed_validators(feed.id)
        started = time.perf_counter()
        try:
            response = await self.fetcher.get(str(feed.url), kind="feed", etag=etag, last_modified=last_modified)
        except FetchError as exc:
            self._feed_failed(feed, state, exc.outcome, str(exc), exc.retry_after_seconds)
            return
        finally:
            self.metrics.fetch_duration.labels("feed").observe(time.perf_counter() - started)
        if response.not_modified:
            self.metrics.fetches.labels(feed.id, "feed", "not_modified").inc()
            log.info("feed not modified", extra={"feed": feed.id})
            self._feed_ok(feed, state, "not_modified")
            return
        self.metrics.fetches.labels(feed.id, "feed", "ok").inc()
        # parsed in a thread: a big feed must not block the other feeds' fetches
        parsed = await asyncio.to_thread(parse_feed, response.body, str(response.url), response.content_type)
        if parsed.bozo:
            self.metrics.bozo_feeds.labels(feed.id).inc()
            log.warning("malformed feed, using its readable entries",
                        extra={"feed": feed.id, "reason": parsed.bozo_reason, "entries": len(parsed.entries)})  # fmt: skip
        self.metrics.entries_seen.labels(feed.id).inc(len(parsed.entries))
        for reason, count in sorted(parsed.skipped.items()):
            self.metrics.entries_skipped.labels(feed.id, reason).inc(count)
            log.warning("feed entries skipped", extra={"feed": feed.id, "reason": reason, "skipped": count})
        if parsed.bad_dates or parsed.nul_bytes:
            log.warning("feed repaired", extra={"feed": feed.id, "unreadable_dates_dropped": parsed.bad_dates,
                                                "nul_bytes_removed": parsed.nul_bytes})  # fmt: skip
        complete = True
        for entry in parsed.entries:
            try:
                complete &= await self._entry(feed, entry)
            except BrokerUnavailable as exc:
                self.metrics.publish_failures.inc()
                self.broker_failures += 1
                delay = self._backoff(self.broker_failures)
                log.error("broker did not acknowledge; nothing marked seen, will retry",
                          extra={"feed": feed.id, "reason": str(exc), "retry_in_seconds": round(delay, 1)})  # fmt: skip
                state.next_due = time.monotonic() + min(delay, 60.0)
                return  # validators not saved: the next poll sees the same entries again
        self.broker_failures = 0
        if complete:  # a transient page failure keeps the old validators so the entry is offered again
            self.store.save_feed_validators(feed.id, response.etag, response.last_modified)
        self._feed_ok(feed, state, "ok")

    def _feed_ok(self, feed: FeedConfig, state: FeedState, outcome: str) -> None:
        state.failures = 0
        state.next_due = time.monotonic() + self._interval(feed)
        self.metrics.last_success.labels(feed.id).set(time.time())
        self.metrics.feed_up.labels(feed.id).set(1)

    def _feed_failed(
        self, feed: FeedConfig, state: FeedState, outcome: str, reason: str, retry_after: float | None
    ) -> None:
        state.failures += 1
        delay = retry_after if retry_after is not None else self._backoff(state.failures)
        state.next_due = time.monotonic() + delay
        self.metrics.fetches.labels(feed.id, "feed", outcome).inc()
        self.metrics.feed_up.labels(feed.id).set(0)
        log.warning("feed fetch failed", extra={"feed": feed.id, "outcome": outcome, "reason": reason,
                                                "failures": state.failures, "retry_in_seconds": round(delay, 1)})  # fmt: skip

    # -- one entry ---------------------------------------------------------------------------------------------
    async def _entry(self, feed: FeedConfig, entry: Entry) -> bool:
        """Fetch, clean, dedup and publish one entry. False when a transient failure means it should be retried."""
        seen = self.store.get(entry.canonical)
        if seen is not None and seen.entry_stamp == entry.stamp:
            self.metrics.dedup_hits.labels(feed.id).inc()
            return True
        try:
            if not await self.fetcher.robots_allows(entry.link):
                self.metrics.fetches.labels(feed.id, "page", "blocked_robots").inc()
                self.metrics.extraction_failures.labels(feed.id, "blocked").inc()
                log.warning("robots.txt disallows page", extra={"feed": feed.id, "url": entry.canonical})
                return True
            started = time.perf_counter()
            try:
                page = await self.fetcher.get(entry.link, kind="page")
            finally:
                self.metrics.fetch_duration.labels("page").observe(time.perf_counter() - started)
        except FetchError as exc:
            self.metrics.fetches.labels(feed.id, "page", exc.outcome).inc()
            reason = "blocked" if exc.outcome.startswith("blocked") else "fetch_failed"
            self.metrics.extraction_failures.labels(feed.id, reason).inc()
            log.warning("page fetch failed", extra={"feed": feed.id, "url": entry.canonical, "outcome": exc.outcome,
                                                    "reason": str(exc)})  # fmt: skip
            return not exc.retriable
        self.metrics.fetches.labels(feed.id, "page", "ok").inc()
        self.metrics.page_bytes.observe(len(page.body))
        article = await self._article(feed, entry, page, seen)
        if article is None:
            return True
        if seen is not None and seen.content_hash == article.content_hash:
            self.metrics.dedup_hits.labels(feed.id).inc()
            self.store.touch_stamp(entry.canonical, entry.stamp)
            return True
        sig = signature(article.text)
        original = self.near.original_of(article.article_id, sig)
        if original is not None:
            article = article.model_copy(update={"duplicate_of": original})
        partition, offset = await self.publish(article)
        self.store.record(entry.canonical, article.article_id, article.content_hash, article.revision, entry.stamp)
        if sig is not None:
            self.near.add(article.article_id, sig, original)
            self.store.record_signature(article.article_id, original or article.article_id, sig.hashvalues,
                                        keep=self.near.capacity)  # fmt: skip
        if original is not None:
            self.metrics.near_duplicates.labels(feed.id).inc()
            log.info("article is a copy of an earlier one; published with duplicate_of",
                     extra={"feed": feed.id, "article_id": article.article_id, "duplicate_of": original})  # fmt: skip
        self.metrics.published.labels(feed.id).inc()
        if article.text_source == "feed_summary":
            self.metrics.summary_fallbacks.labels(feed.id).inc()
        log.info("article published", extra={"feed": feed.id, "article_id": article.article_id, "url": entry.canonical,
                                             "revision": article.revision, "partition": partition, "offset": offset})  # fmt: skip
        return True

    async def _clean(self, html: str | bytes, url: str) -> Cleaned:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.cleaners, clean_html, html, url, self.policy.min_text_chars)
        except BrokenExecutor:  # a cleaning process died (out of memory on a monster page ...): a new pool, once
            log.error("cleaning process died; starting a new pool", extra={"url": url})
            if isinstance(self.cleaners, ProcessPoolExecutor):
                self.cleaners.shutdown(wait=False, cancel_futures=True)
                self.cleaners = cleaning_pool(self.policy.clean_processes)
            return await loop.run_in_executor(self.cleaners, clean_html, html, url, self.policy.min_text_chars)

    async def _article(self, feed: FeedConfig, entry: Entry, page: Response, seen: Seen | None) -> Article | None:
        html: str | bytes = page.body.decode(page.charset, "replace") if page.charset else page.body
        started = time.perf_counter()
        text_source = "page"
        try:
            cleaned = await self._clean(html, entry.canonical)
            text, title, author = cleaned.text, cleaned.title, cleaned.author
            published, language = cleaned.published_at, cleaned.language
        except NoUsableText as exc:
            summary = text_of_summary(entry.summary_html)
            if len(summary) < self.policy.min_summary_chars:
                self.metrics.extraction_failures.labels(feed.id, "no_text").inc()
                log.warning("page has no usable text; dropped", extra={"feed": feed.id, "url": entry.canonical,
                                                                       "reason": str(exc)})  # fmt: skip
                return None
            text, title, author, published, language = summary, None, None, None, None
            text_source = "feed_summary"
            log.info("page text too short; using feed summary", extra={"feed": feed.id, "url": entry.canonical})
        finally:
            self.metrics.clean_duration.observe(time.perf_counter() - started)
        return Article(
            article_id=seen.article_id if seen else Article.id_for(entry.canonical), url=entry.link, canonical_url=entry.canonical,
            feed_id=feed.id, source_name=feed.source_name, title=entry.title or title or entry.canonical,
            text=text, author=entry.author or author, language=language or feed.language,
            published_at=entry.published_at or published, fetched_at=datetime.now(UTC),
            content_hash=content_hash(text), revision=(seen.revision if seen else 0) + 1,
            text_source=text_source,  # type: ignore[arg-type]
        )  # fmt: skip
