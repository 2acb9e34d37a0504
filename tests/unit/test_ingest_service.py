"""The ingest service against a local HTTP server; the Kafka edge is a recording function here (the real broker
is exercised in tests/integration)."""

from __future__ import annotations

import asyncio
import gzip
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ingest.contract import Article
from ingest.dedup import SeenStore
from ingest.feedlist import FeedConfig
from ingest.fetch import Fetcher, FetchSettings
from ingest.metrics import IngestMetrics
from ingest.service import IngestService, Policy, cleaning_pool
from tests.support.httpserver import LocalServer, Reply, Request, serve
from tests.support.pages import article_page, atom, rss, seed_articles

LONG_SUMMARY = "Shelling hit the outskirts of Ariha in Idlib on Tuesday, residents said, " * 3


@dataclass
class Recorder:
    articles: list[Article] = field(default_factory=list)

    async def __call__(self, article: Article) -> tuple[int, int]:
        self.articles.append(article)
        return 0, len(self.articles) - 1


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with serve() as srv:
        srv.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
        yield srv


def make_service(feeds: list[FeedConfig], db: Path, **fetch: object) -> tuple[IngestService, Recorder]:
    settings = FetchSettings(user_agent="idlib-test", min_host_delay_seconds=0, allow_networks=("127.0.0.1/32",),
                             total_timeout_seconds=float(fetch.pop("total_timeout_seconds", 10.0)), **fetch)  # type: ignore[arg-type]  # fmt: skip
    recorder = Recorder()
    metrics = IngestMetrics.create(feed_ids=[f.id for f in feeds])
    service = IngestService(feeds, Fetcher(settings), SeenStore(db), recorder, metrics,
                            Policy(backoff_base_seconds=10, jitter_fraction=0))  # fmt: skip
    return service, recorder


def feed(server: LocalServer, path: str = "/feed.xml", feed_id: str = "test") -> FeedConfig:
    return FeedConfig(id=feed_id, url=server.url(path), source_name="Test", poll_interval_seconds=60)  # type: ignore[arg-type]


def sample(service: IngestService, name: str, **labels: str) -> float:
    return service.metrics.registry.get_sample_value(name, labels) or 0.0


def fetches(service: IngestService, feed_id: str, kind: str, outcome: str) -> float:
    return sample(service, "idlib_ingest_fetches_total", feed=feed_id, kind=kind, outcome=outcome)


def poll(service: IngestService, *feeds: FeedConfig) -> None:
    async def go() -> None:
        try:
            for f in feeds:
                await service.poll(f)
        finally:
            await service.fetcher.aclose()

    asyncio.run(go())


def serve_seeds(server: LocalServer, prefix: str = "/news/") -> list[str]:
    paths = []
    for article in seed_articles():
        path = f"{prefix}{article.slug}/"
        server.add(path, article_page(article))
        paths.append(path)
    return paths


def rss_items(paths: list[str], summary: str = "summary") -> list[tuple[str, str, str, str]]:
    return [(a.title, p, a.published, summary) for a, p in zip(seed_articles(), paths, strict=True)]


def test_rss_and_atom_feeds_publish_clean_articles(server: LocalServer, tmp_path: Path) -> None:
    paths = serve_seeds(server)
    server.add("/rss.xml", rss(server.base, rss_items(paths)), "application/rss+xml")
    server.add("/atom.xml", atom(server.base, [(a.title, p.lstrip("/"), "2020-09-16T08:00:00Z", "s")
                                               for a, p in zip(seed_articles(), paths, strict=True)]),
               "application/atom+xml")  # fmt: skip
    service, rec = make_service([feed(server, "/rss.xml", "rss"), feed(server, "/atom.xml", "atom")],
                                tmp_path / "seen.db")  # fmt: skip
    poll(service, *service.feeds)
    assert len(rec.articles) == 2  # the Atom entries point at the same canonical URLs: published once
    first = rec.articles[0]
    assert first.canonical_url == server.url(paths[0]) and "utm_" not in first.canonical_url
    assert first.text_source == "page" and first.revision == 1
    assert seed_articles()[0].paragraphs[-1] in first.text
    assert sample(service, "idlib_ingest_articles_published_total", feed="rss") == 2
    assert sample(service, "idlib_ingest_dedup_hits_total", feed="atom") == 2
    assert sample(service, "idlib_ingest_last_successful_poll_timestamp_seconds", feed="atom") > time.time() - 60


def test_wire_copy_on_another_outlet_is_published_as_a_duplicate_of_the_first(
    server: LocalServer, tmp_path: Path
) -> None:
    originals = serve_seeds(server, "/wire/")
    copies = serve_seeds(server, "/reprint/")
    server.add("/wire.xml", rss(server.base, rss_items(originals)), "application/rss+xml")
    server.add("/reprint.xml", rss(server.base, rss_items(copies)), "application/rss+xml")
    wire, reprint = feed(server, "/wire.xml", "wire"), feed(server, "/reprint.xml", "reprint")
    service, rec = make_service([wire], tmp_path / "seen.db")
    poll(service, wire)
    # a restart between the two: the copy index comes back from the seen-store
    service, rec2 = make_service([reprint], tmp_path / "seen.db")
    service.near = service.store.near_duplicates(0.7, 100)
    poll(service, reprint)
    assert len(rec.articles) == 2 and len(rec2.articles) == 2  # copies are still published
    assert [a.duplicate_of for a in rec.articles] == [None, None]
    assert [a.duplicate_of for a in rec2.articles] == [a.article_id for a in rec.articles]
    assert sample(service, "idlib_ingest_near_duplicates_total", feed="reprint") == 2


def test_pages_are_cleaned_in_a_process_pool_too(server: LocalServer, tmp_path: Path) -> None:
    paths = serve_seeds(server)
    server.add("/rss.xml", rss(server.base, rss_items(paths)), "application/rss+xml")
    service, rec = make_service([feed(server, "/rss.xml", "rss")], tmp_path / "seen.db")
    service.cleaners = cleaning_pool(1)
    try:
        poll(service, *service.feeds)
    finally:
        service.cleaners.shutdown()
    assert [a.text_source for a in rec.articles] == ["page", "page"]
    assert seed_articles()[1].paragraphs[-1] in rec.articles[1].text


def test_conditional_get_reuses_etag(server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    paths = serve_seeds(server)
    body = rss(server.base, rss_items(paths)).encode()

    def feed_route(request: Request) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, body

    server.routes["/feed.xml"] = feed_route
    service, _rec = make_service([feed(server)], tmp_path / "seen.db")
    caplog.set_level(logging.INFO)
    poll(service, feed(server))
    page_hits = len(server.hits(paths[0]))
    service2, rec2 = make_service([feed(server)], tmp_path / "seen.db")
    poll(service2, feed(server))
    assert server.hits("/feed.xml")[-1].headers.get("if-none-match") == '"v1"'
    assert fetches(service2, "test", "feed", "not_modified") == 1
    assert len(server.hits(paths[0])) == page_hits and rec2.articles == []
    assert any(r.getMessage() == "feed not modified" for r in caplog.records)


def test_429_honours_retry_after(server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    server.add("/feed.xml", "slow down", "text/plain", status=429, headers={"Retry-After": "120"})
    good = feed(server, "/good.xml", "good")
    server.add("/good.xml", rss(server.base, rss_items(serve_seeds(server))), "application/rss+xml")
    service, rec = make_service([feed(server), good], tmp_path / "seen.db")
    before = time.monotonic()
    poll(service, feed(server), good)
    assert fetches(service, "test", "feed", "rate_limited") == 1
    assert 119 <= service.states["test"].next_due - before <= 125
    assert len(rec.articles) == 2  # the other feed kept going
    assert any(getattr(r, "outcome", None) == "rate_limited" for r in caplog.records)


def test_500_backs_off_exponentially(server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    server.add("/feed.xml", "boom", "text/plain", status=500)
    service, _ = make_service([feed(server)], tmp_path / "seen.db")
    delays = []

    async def twice() -> None:
        for _ in range(3):
            start = time.monotonic()
            await service.poll(feed(server))
            delays.append(service.states["test"].next_due - start)
        await service.fetcher.aclose()

    asyncio.run(twice())
    assert fetches(service, "test", "feed", "server_error") == 3
    assert service.states["test"].failures == 3
    assert delays[0] < delays[1] < delays[2] and 9 <= delays[0] <= 11
    assert sample(service, "idlib_ingest_feed_up", feed="test") == 0
    assert any(r.getMessage() == "feed fetch failed" for r in caplog.records)


def _feed_with_pages(server: LocalServer, bad_path: str) -> list[str]:
    good = serve_seeds(server)
    items = [("Bad page", bad_path, "Wed, 16 Sep 2020 08:00:00 GMT", "x"), *rss_items(good)]
    server.add("/feed.xml", rss(server.base, items), "application/rss+xml")
    return good


def _assert_page_failure(service: IngestService, rec: Recorder, outcome: str, caplog: pytest.LogCaptureFixture) -> None:
    assert fetches(service, "test", "page", outcome) == 1, outcome
    assert len(rec.articles) == 2, "the good entries after the bad one are still published"
    assert any(getattr(r, "outcome", None) == outcome for r in caplog.records)


def test_page_timeout(server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _feed_with_pages(server, "/slow/")
    server.routes["/slow/"] = lambda _r: (200, {"Content-Type": "text/html", "X-Delay": "3"}, b"<p>late</p>")
    service, rec = make_service([feed(server)], tmp_path / "seen.db", total_timeout_seconds=1.0,
                                read_timeout_seconds=1.0)  # fmt: skip
    poll(service, feed(server))
    _assert_page_failure(service, rec, "timeout", caplog)


def test_oversized_page(server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _feed_with_pages(server, "/huge/")
    server.routes["/huge/"] = lambda _r: (200, {"Content-Type": "text/html", "Content-Length": "0"},
                                          b"<p>" + b"x" * 300_000 + b"</p>")  # fmt: skip
    server.add("/huge/", b"<p>" + b"x" * 300_000 + b"</p>")
    service, rec = make_service([feed(server)], tmp_path / "seen.db", max_page_bytes=100_000)
    poll(service, feed(server))
    _assert_page_failure(service, rec, "too_large", caplog)


def test_gzip_bomb(server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _feed_with_pages(server, "/bomb/")
    bomb = gzip.compress(b"<p>" + b"\0" * 20_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    server.add("/bomb/", bomb, headers={"Content-Encoding": "gzip"})
    service, rec = make_service([feed(server)], tmp_path / "seen.db", max_page_bytes=1_000_000)
    poll(service, feed(server))
    _assert_page_failure(service, rec, "compression_bomb", caplog)


def test_redirect_loop(server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _feed_with_pages(server, "/r1/")
    server.add("/r1/", b"", status=302, headers={"Location": "/r2/"})
    server.add("/r2/", b"", status=301, headers={"Location": server.url("/r1/")})
    service, rec = make_service([feed(server)], tmp_path / "seen.db")
    poll(service, feed(server))
    _assert_page_failure(service, rec, "redirect_loop", caplog)


def test_ssrf_entry_is_blocked(server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    good = serve_seeds(server)
    items = [("Metadata", "http://169.254.169.254/latest/meta-data/", "Wed, 16 Sep 2020 08:00:00 GMT", "x"),
             ("Intranet", "http://10.20.30.40/admin", "Wed, 16 Sep 2020 08:00:00 GMT", "x"), *rss_items(good)]  # fmt: skip
    body = rss(server.base, items)
    body = body.replace(f"{server.base}http://", "http://")
    server.add("/feed.xml", body, "application/rss+xml")
    service, rec = make_service([feed(server)], tmp_path / "seen.db")
    poll(service, feed(server))
    assert fetches(service, "test", "page", "blocked_ssrf") == 2
    assert sample(service, "idlib_ingest_extraction_failures_total", feed="test", reason="blocked") == 2
    assert len(rec.articles) == 2
    assert any(getattr(r, "outcome", None) == "blocked_ssrf" for r in caplog.records)


def test_robots_disallow(server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _feed_with_pages(server, "/private/secret/")
    server.add("/private/secret/", article_page(seed_articles()[0]))
    service, rec = make_service([feed(server)], tmp_path / "seen.db")
    poll(service, feed(server))
    assert fetches(service, "test", "page", "blocked_robots") == 1
    assert server.hits("/private/secret/") == [] and len(server.hits("/robots.txt")) == 1
    assert len(rec.articles) == 2
    assert any(r.getMessage() == "robots.txt disallows page" for r in caplog.records)


def test_non_utf8_page(server: LocalServer, tmp_path: Path) -> None:
    article = seed_articles()[0]
    page = article_page(article).replace("Russian", "Russian\u00e9").replace('<meta charset="utf-8">', "")
    server.add("/latin/", page.encode("cp1252", "replace"), "text/html; charset=windows-1252")
    server.add("/feed.xml", rss(server.base, [(article.title, "/latin/", article.published, "s")]),
               "application/rss+xml")  # fmt: skip
    service, rec = make_service([feed(server)], tmp_path / "seen.db")
    poll(service, feed(server))
    assert len(rec.articles) == 1 and "Russian\u00e9" in rec.articles[0].text
    assert fetches(service, "test", "page", "ok") == 1


def test_malformed_feed_still_yields_entries(server: LocalServer, tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    good = serve_seeds(server)
    body = rss(server.base, rss_items(good)).replace("<description>t</description>",
                                                      "<description>Tom & Jerry <b>unclosed</description>")  # fmt: skip
    server.add("/feed.xml", body, "application/rss+xml")
    service, rec = make_service([feed(server)], tmp_path / "seen.db")
    poll(service, feed(server))
    assert sample(service, "idlib_ingest_malformed_feeds_total", feed="test") == 1
    assert len(rec.articles) == 2
    assert any(r.getMessage() == "malformed feed, using its readable entries" for r in caplog.records)


def test_duplicate_across_restart_and_changed_article(server: LocalServer, tmp_path: Path) -> None:
    article = seed_articles()[0]
    server.add("/a/", article_page(article))
    server.add("/feed.xml", rss(server.base, [(article.title, "/a/", article.published, "s")]), "application/rss+xml")
    service, rec = make_service([feed(server)], tmp_path / "seen.db")
    poll(service, feed(server))
    assert [a.revision for a in rec.articles] == [1]

    restarted, rec2 = make_service([feed(server)], tmp_path / "seen.db")  # same SQLite file: a restart
    poll(restarted, feed(server))
    assert rec2.articles == []
    assert sample(restarted, "idlib_ingest_dedup_hits_total", feed="test") == 1

    edited = type(article)(article.slug, article.title, [*article.paragraphs, "Update: a second patrol was hit."],
                           "Thu, 17 Sep 2020 10:00:00 GMT")  # fmt: skip
    server.add("/a/", article_page(edited))
    server.add("/feed.xml", rss(server.base, [(edited.title, "/a/", edited.published, "s")]), "application/rss+xml")
    again, rec3 = make_service([feed(server)], tmp_path / "seen.db")
    poll(again, feed(server))
    assert [a.revision for a in rec3.articles] == [2]
    assert rec3.articles[0].article_id == rec.articles[0].article_id
    assert "second patrol" in rec3.articles[0].text


def test_thin_page_falls_back_to_summary_or_is_dropped(server: LocalServer, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    server.add("/thin/", "<html><body><p>Video only.</p></body></html>")
    server.add("/empty/", "<html><body><p>Photo.</p></body></html>")
    items = [("Thin", "/thin/", "Wed, 16 Sep 2020 08:00:00 GMT", LONG_SUMMARY),
             ("Empty", "/empty/", "Wed, 16 Sep 2020 08:00:00 GMT", "Photo")]  # fmt: skip
    server.add("/feed.xml", rss(server.base, items), "application/rss+xml")
    service, rec = make_service([feed(server)], tmp_path / "seen.db")
    poll(service, feed(server))
    assert [a.text_source for a in rec.articles] == ["feed_summary"]
    assert rec.articles[0].text.startswith("Shelling hit the outskirts of Ariha")
    assert sample(service, "idlib_ingest_summary_fallbacks_total", feed="test") == 1
    assert sample(service, "idlib_ingest_extraction_failures_total", feed="test", reason="no_text") == 1
    assert any(r.getMessage() == "page has no usable text; dropped" for r in caplog.records)
