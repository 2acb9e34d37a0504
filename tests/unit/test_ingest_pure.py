from __future__ import annotations

import pytest

from ingest.canonical import canonical_url
from ingest.clean import NoUsableText, clean_html
from ingest.contract import ConfigurationError
from ingest.feedlist import load_feeds
from ingest.fetch import retry_after_seconds
from tests.conftest import REPO
from tests.support.pages import BOILERPLATE, article_page, seed_articles


@pytest.mark.parametrize(
    ("link", "base", "expected"),
    [
        ("HTTPS://NPASyria.com:443/en/45123/?utm_source=rss&utm_medium=feed#comments", None,
         "https://npasyria.com/en/45123/"),
        ("/en/45123/?id=7&fbclid=abc", "https://npasyria.com/en/feed/", "https://npasyria.com/en/45123/?id=7"),
        ("../story.html", "https://example.org/news/feed/", "https://example.org/news/story.html"),
        ("http://Example.org:8080/a?b=1&utm_campaign=x", None, "http://example.org:8080/a?b=1"),
        # what the urllib-only rules (v1) got wrong: query order, dot segments, percent-encoding
        ("https://sohr.com/?p=2&lang=en", None, "https://sohr.com/?lang=en&p=2"),
        ("https://sohr.com/en/./news/../12345/", None, "https://sohr.com/en/12345/"),
        ("https://ex.org/%7euser/caf%c3%a9", None, "https://ex.org/~user/caf%C3%A9"),
        ("https://ex.org/café?q=إدلب", None, "https://ex.org/caf%C3%A9?q=%D8%A5%D8%AF%D9%84%D8%A8"),
        ("https://ex.org/a?x=a%2fb&UTM_Source=x", None, "https://ex.org/a?x=a%2Fb"),
        ("https://[2001:db8::1]:443/a", None, "https://[2001:db8::1]/a"),
    ],
)  # fmt: skip
def test_canonical_url(link: str, base: str | None, expected: str) -> None:
    assert canonical_url(link, base) == expected


@pytest.mark.parametrize("article", seed_articles(), ids=lambda a: a.slug)
def test_clean_keeps_every_paragraph_and_drops_boilerplate(article) -> None:  # type: ignore[no-untyped-def]
    cleaned = clean_html(article_page(article), "https://example.org/x")
    for paragraph in article.paragraphs:
        assert paragraph in cleaned.text
    lines = set(cleaned.text.splitlines())
    for junk in BOILERPLATE:
        assert junk not in lines, junk
        assert junk not in cleaned.text or junk in " ".join(article.paragraphs), junk
    assert cleaned.title == article.title


def test_clean_rejects_pages_without_text() -> None:
    with pytest.raises(NoUsableText):
        clean_html("<html><body><nav>Home</nav><p>Short.</p></body></html>")


def test_retry_after_forms() -> None:
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("garbage") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_default_feed_list_is_valid() -> None:
    feeds = load_feeds(REPO / "seeds" / "feeds.yaml")
    assert len(feeds) >= 5 and len({f.id for f in feeds}) == len(feeds)


def test_bad_feed_list_stops_start_up(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - {id: 'Bad Id', url: 'ftp://x', source_name: ''}\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="invalid"):
        load_feeds(bad)


def _rss(items: str) -> bytes:
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>').encode()


def test_a_year_zero_date_drops_the_date_not_the_entry() -> None:
    from ingest.feeds import parse_feed

    body = _rss("<item><title>a</title><link>https://x.example/a</link><pubDate>Sat, 01 Jan 0000 00:00:00 GMT"
                "</pubDate></item><item><title>b</title><link>https://x.example/b</link>"
                "<pubDate>Tue, 11 Feb 2020 09:00:00 GMT</pubDate></item>")  # fmt: skip
    parsed = parse_feed(body, "https://x.example/feed")
    assert [e.title for e in parsed.entries] == ["a", "b"]
    assert parsed.entries[1].published_at is not None and parsed.entries[1].published_at.year == 2020


def test_dropped_entries_are_counted_by_reason_and_nul_bytes_removed() -> None:
    from ingest.feeds import parse_feed

    items = "".join(f"<item><title>{n}</title><link>https://x.example/{n}</link></item>" for n in range(5))
    body = _rss("<item><title>no link</title></item><item><title>mail</title><link>mailto:a@b.c</link></item>"
                + items).replace(b"<title>0</title>", b"<title>0\x00</title>")  # fmt: skip
    parsed = parse_feed(body, "https://x.example/feed", max_entries=5)
    assert dict(parsed.skipped) == {"no_link": 1, "not_http": 1, "over_cap": 2}
    assert [e.title for e in parsed.entries] == ["0", "1", "2"] and parsed.nul_bytes == 1


def test_a_page_nested_deeper_than_libxml2s_limit_still_gives_its_article() -> None:
    from ingest.clean import clean_html

    sentence = "Regime forces shelled the town of Ariha in Idlib countryside on Monday, killing two civilians. "
    body = "".join(f"<p>{sentence * 3} Paragraph {n}.</p>" for n in range(4))
    html = "<html><body>" + "<div>" * 300 + f"<article><h1>Shelling</h1>{body}</article>" + "</div>" * 300
    cleaned = clean_html(html + "</body></html>", "https://x.example/deep")
    assert "Paragraph 3." in cleaned.text and cleaned.text.count("Ariha") >= 4


def test_robots_rules_wildcards_longest_match_and_crawl_delay() -> None:
    from ingest.fetch import robots_rules

    rules = robots_rules("User-agent: *\nDisallow: /*.pdf$\nDisallow: /news/\nAllow: /news/idlib/\nCrawl-delay: 4\n")
    assert not rules.can_fetch("https://x.example/report.pdf", "idlib-bot")
    assert rules.can_fetch("https://x.example/report.pdf?page=2", "idlib-bot")  # $ anchors the end
    assert not rules.can_fetch("https://x.example/news/syria", "idlib-bot")
    assert rules.can_fetch("https://x.example/news/idlib/1", "idlib-bot")  # the longer Allow wins
    assert rules.crawl_delay("idlib-bot") == 4.0


def test_crawl_delay_is_honoured_per_host() -> None:
    import asyncio
    import time

    from ingest.fetch import Fetcher, FetchSettings
    from tests.support.httpserver import serve

    async def two_pages(base: str) -> float:
        fetcher = Fetcher(FetchSettings(user_agent="idlib-test", min_host_delay_seconds=0,
                                        allow_networks=("127.0.0.1/32",)))  # fmt: skip
        try:
            assert await fetcher.robots_allows(base + "/a")
            started = time.monotonic()
            await fetcher.get(base + "/a")
            await fetcher.get(base + "/b")
            return time.monotonic() - started
        finally:
            await fetcher.aclose()

    with serve() as srv:
        srv.add("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", "text/plain")
        srv.add("/a", "<p>a</p>")
        srv.add("/b", "<p>b</p>")
        assert asyncio.run(two_pages(srv.base)) >= 0.9  # the second page waited for the host's Crawl-delay
