"""Shared fixtures: the seed articles and a sample Article/Incident."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.contract import Article, content_hash

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


def seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


@pytest.fixture
def sample_article() -> Article:
    text = seed_text("000_289e2b72f1e3f2dd.txt")
    canonical = "https://npasyria.com/en/45123/"
    return Article(
        article_id=Article.id_for(canonical),
        url=canonical + "?utm_source=rss",
        canonical_url=canonical,
        feed_id="npa",
        source_name="North Press Agency",
        title=text.splitlines()[0],
        text=text,
        author=None,
        language="en",
        published_at=datetime(2020, 9, 16, 8, 0, tzinfo=UTC),
        fetched_at=datetime(2020, 9, 16, 9, 0, tzinfo=UTC),
        content_hash=content_hash(text),
    )


@pytest.fixture(scope="session")
def nlp():  # type: ignore[no-untyped-def]
    """The real pipeline (model from PROCESSOR_SPACY_MODEL, as the services load it), built once per session."""
    import os

    from processors.nlp import build_pipeline

    return build_pipeline(os.environ.get("PROCESSOR_SPACY_MODEL", "en_core_web_sm"))


@pytest.fixture(scope="session")
def extractor(nlp):  # type: ignore[no-untyped-def]
    from processors.extract import Extractor

    return Extractor(nlp)
