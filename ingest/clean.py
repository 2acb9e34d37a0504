"""HTML -> article text and metadata with trafilatura (the only owner of trafilatura; pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import lxml.etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]
import trafilatura

from ingest.contract.errors import PermanentError


class NoUsableText(PermanentError):
    """The page yielded less text than an article needs."""


@dataclass(frozen=True)
class Cleaned:
    text: str
    title: str | None
    author: str | None
    published_at: datetime | None
    site_name: str | None
    language: str | None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _deep_tree(html: str | bytes) -> Any:
    """The page parsed without libxml2's nesting limit (None when it does not parse)."""
    try:
        return lxml.html.fromstring(html, parser=lxml.html.HTMLParser(huge_tree=True, remove_comments=True))
    except (ValueError, lxml.etree.ParserError):
        return None


def clean_html(html: str | bytes, url: str | None = None, min_chars: int = 200) -> Cleaned:
    """Main text and metadata of an article page; NoUsableText when fewer than min_chars remain."""
    options: dict[str, Any] = {
        "url": url, "output_format": "json", "with_metadata": True, "include_comments": False,
        "include_tables": False, "include_links": False, "include_images": False, "deduplicate": False,
        "favor_precision": True,
    }  # fmt: skip
    raw = trafilatura.extract(html, **options)
    if not raw:
        # libxml2 stops at 255 levels of nesting unless told otherwise: a deeply nested page looked empty
        deep = _deep_tree(html)
        raw = trafilatura.extract(deep, **options) if deep is not None else None
    if not raw:
        raise NoUsableText("no article text found")
    data = json.loads(raw)
    text = (data.get("text") or "").strip()
    if len(text) < min_chars:
        raise NoUsableText(f"only {len(text)} characters of text")
    return Cleaned(
        text=text, title=data.get("title") or None, author=data.get("author") or None,
        published_at=_date(data.get("date")), site_name=data.get("sitename") or None,
        language=data.get("language") or None,
    )  # fmt: skip


def text_of_summary(summary_html: str) -> str:
    """Plain text of a feed entry's summary (used when the page itself yields too little)."""
    if not summary_html.strip():
        return ""
    return " ".join(str(trafilatura.html2txt(f"<html><body><div>{summary_html}</div></body></html>")).split())
