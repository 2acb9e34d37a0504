"""Builds extractor Documents from JSON lines and from Article messages (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import dateparser

from ingest.contract import Article, PermanentError
from processors.extract import Document


def parse_published(value: Any) -> datetime | None:
    """ISO 8601 or any date a person would write; naive values are taken as UTC."""
    if value in (None, ""):
        return None
    text = str(value)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        found = dateparser.parse(text, settings={"RETURN_AS_TIMEZONE_AWARE": False})
        if found is None:
            raise PermanentError(f"unreadable published date {text!r}") from None
        parsed = found
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def from_json_line(line: str) -> Document:
    """One `extract` input line: {"id", "text", "title"?, "published"?, "url"?}."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise PermanentError(f"not JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(record, dict) or "id" not in record or not isinstance(record.get("text"), str):
        raise PermanentError('each line needs "id" and a string "text"')
    return Document(
        id=str(record["id"]), text=record["text"], title=str(record.get("title") or ""),
        published=parse_published(record.get("published")), url=record.get("url"),
        source_name=record.get("source_name"), duplicate_of=record.get("duplicate_of"),
    )  # fmt: skip


def from_article(article: Article) -> Document:
    return Document(
        id=article.article_id, text=article.text, title=article.title,
        published=article.published_at or article.fetched_at, url=article.canonical_url,
        source_name=article.source_name, revision=article.revision, duplicate_of=article.duplicate_of,
    )  # fmt: skip
