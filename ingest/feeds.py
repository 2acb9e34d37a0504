"""Feed bytes -> entries with canonical links (the only owner of feedparser; pure)."""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, field
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


# Why an entry was dropped or changed (a closed set: the ingest service counts them by reason).
SKIP_REASONS = ("no_link", "bad_link", "not_http", "over_cap")
MAX_ENTRIES = 500  # a feed longer than this is cut: its newest entries are read, the rest counted as over_cap


@dataclass(frozen=True)
class ParsedFeed:
    entries: list[Entry]
    bozo: bool
    bozo_reason: str | None
    skipped: Counter[str] = field(default_factory=Counter)  # dropped entries by reason (SKIP_REASONS)
    bad_dates: int = 0  # entries kept without a date their feed gave unreadably (year 0, out of range)
    nul_bytes: int = 0  # NUL bytes removed from the body before parsing


def _when(struct: Any) -> datetime | None:
    """A feed's parsed date; raises ValueError for one no datetime can hold (year 0)."""
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), UTC)
    except (OverflowError, OSError, TypeError) as exc:
        raise ValueError(str(exc)) from exc


def parse_feed(body: bytes, feed_url: str, content_type: str = "application/xml",
               max_entries: int = MAX_ENTRIES) -> ParsedFeed:  # fmt: skip
    """Parse what the fetcher downloaded; a malformed ("bozo") feed still yields its usable entries. Nothing is
    dropped silently: each dropped entry is counted by reason, an unreadable date is dropped but its entry kept."""
    nul_bytes = body.count(b"\x00")
    if nul_bytes:
        body = body.replace(b"\x00", b"")
    parsed = feedparser.parse(body, response_headers={"content-location": feed_url, "content-type": content_type})
    entries: list[Entry] = []
    skipped: Counter[str] = Counter()
    bad_dates = 0
    items = list(parsed.entries)
    if len(items) > max_entries:
        skipped["over_cap"] = len(items) - max_entries
        items = items[:max_entries]
    for item in items:
        link = item.get("link") or next(
            (x.get("href") for x in item.get("links", []) if x.get("rel") in (None, "alternate") and x.get("href")),
            None,
        )
        if not link:
            skipped["no_link"] += 1
            continue
        try:
            canonical = canonical_url(link, feed_url)
        except ValueError:
            skipped["bad_link"] += 1
            continue
        if not canonical.startswith(("http://", "https://")):
            skipped["not_http"] += 1
            continue
        # dict.get: FeedParserDict.get maps "updated" to "published" with a deprecation warning
        published = None
        for key in ("published_parsed", "updated_parsed"):
            try:
                published = _when(dict.get(item, key))
            except ValueError:
                bad_dates += 1
                break
            if published is not None:
                break
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
    return ParsedFeed(entries, bool(parsed.get("bozo")), reason, skipped, bad_dates, nul_bytes)
