"""Kafka record value -> Article, or the dead-letter reason why not (pure)."""

from __future__ import annotations

import json

from pydantic import ValidationError

from ingest.contract import SUPPORTED_SCHEMA_VERSIONS, Article
from ingest.contract.topics import HEADER_SCHEMA_VERSION
from processors.records import DeadLetter


def decode_article(value: bytes | None, headers: dict[str, str]) -> Article:
    header_version = headers.get(HEADER_SCHEMA_VERSION)
    if header_version is not None and (
        not header_version.isdigit() or int(header_version) not in SUPPORTED_SCHEMA_VERSIONS
    ):
        raise DeadLetter("unknown_schema_version", f"schema_version header {header_version!r}", "SchemaVersionError")
    if value is None:
        raise DeadLetter("undecodable", "empty value (tombstone)", "EmptyValue")
    try:
        payload = json.loads(value.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DeadLetter("undecodable", f"not UTF-8: {exc.reason}", type(exc).__name__) from exc
    except json.JSONDecodeError as exc:
        raise DeadLetter("undecodable", f"not JSON: {exc.msg}", type(exc).__name__) from exc
    if not isinstance(payload, dict):
        raise DeadLetter("invalid_article", "value is not a JSON object", "TypeError")
    version = payload.get("schema_version")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise DeadLetter("unknown_schema_version", f"schema_version {version!r}", "SchemaVersionError")
    try:
        return Article.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise DeadLetter("invalid_article", f"{where}: {first.get('msg')}", "ValidationError") from exc
