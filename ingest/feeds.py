"""Feed bytes -> entries with canonical links (the only owner of feedparser; pure)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from ingest.canonical import canonical_url


@dataclass(frozen=True)
class Entry:
    link: str  # as the feed gave it, made absolute
    canonical: str
    title: str
    summary_html: str
    author: str | None
    published_at: datetime | None
    stamp: str | None  # what changes when the publisher edits the entry (updated, else published)


@dataclass(frozen=True)
class ParsedFeed:
    entries: list[Entry]
    bozo: bool
    bozo_reason: str | None
    skipped: int  # entries without a usable link


def _when(struct: Any) -> datetime | None:
    if not struct:
        return None
    return datetime.fromtimestamp(calendar.timegm(struct), UTC)


def parse_feed(body: bytes, feed_url: str, content_type: str = "application/xml") -> ParsedFeed:
    """Parse what the fetcher downloaded; a malformed ("bozo") feed still yields its usable entries."""
    parsed = feedparser.parse(body, response_headers={"content-location": feed_url, "content-type": content_type})
    entries: list[Entry] = []
    skipped = 0
    for item in parsed.entries:
        link = item.get("link") or next(
            (x.get("href") for x in item.get("links", []) if x.get("rel") in (None, "alternate") and x.get("href")),
            None,
        )
        if not link:
            skipped += 1
            continue
        try:
            canonical = canonical_url(link, feed_url)
        except ValueError:
            skipped += 1
            continue
        if not canonical.startswith(("http://", "https://")):
            skipped += 1
            continue
        # dict.get: FeedParserDict.get maps "updated" to "published" with a deprecation warning
        published = _when(dict.get(item, "published_parsed")) or _when(dict.get(item, "updated_parsed"))
        updated = dict.get(item, "updated") or dict.get(item, "published")
        summary = item.get("summary") or ""
        if not summary and item.get("content"):
            summary = item["content"][0].get("value", "")
        entries.append(
            Entry(
                link=canonical_url(link, feed_url) if "://" not in link else link,
                canonical=canonical,
                title=item.get("title") or "",
                summary_html=summary,
                author=item.get("author"),
                published_at=published,
                stamp=updated,
            )
        )
    reason = str(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    return ParsedFeed(entries, bool(parsed.get("bozo")), reason, skipped)
