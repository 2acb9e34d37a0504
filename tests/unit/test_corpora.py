"""Others' corpora (vendored feedparser test feeds, trafilatura test pages) and generated hostile inputs: nothing
raises an unexpected exception, and what should yield entries or text does."""

from __future__ import annotations

from ingest.clean import clean_html
from ingest.feeds import MAX_ENTRIES, parse_feed
from tests.support.corpora import generated_feeds, generated_pages, run


def test_no_input_of_the_corpora_raises_an_unexpected_exception() -> None:
    results = run()
    assert {name: t.unexpected for name, t in results.items()} == {"feeds": 0, "pages": 0, "generated": 0}, [
        f for t in results.values() for f in t.failures
    ]
    assert results["feeds"].files >= 250 and results["feeds"].ok == results["feeds"].files
    assert results["pages"].files >= 8 and results["pages"].ok >= 5


def test_generated_hostile_inputs_keep_what_they_carry() -> None:
    feeds = dict(generated_feeds())
    year0 = parse_feed(feeds["year-0 date"], "https://x.example/feed")
    assert len(year0.entries) == 1 and year0.entries[0].published_at is None and year0.bad_dates == 1
    assert parse_feed(feeds["NUL bytes"], "https://x.example/feed").nul_bytes == 2
    assert parse_feed(feeds["entry without link"], "https://x.example/feed").skipped["no_link"] == 1
    capped = parse_feed(feeds["4x the entry cap"], "https://x.example/feed")
    assert len(capped.entries) == MAX_ENTRIES and capped.skipped["over_cap"] == 3 * MAX_ENTRIES
    pages = dict(generated_pages())
    assert "outskirts of Ariha" in clean_html(pages["nested 400 deep"], "https://x.example/a").text
    assert "outskirts of Ariha" in clean_html(pages["NUL-laden page"], "https://x.example/a").text
