"""Ingest configuration: one frozen settings object from INGEST_* (and KAFKA_BOOTSTRAP_SERVERS) variables."""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ingest.contract import topics


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", frozen=True, extra="ignore")

    feeds_file: str = Field(default="seeds/feeds.yaml", description="YAML feed list")
    seen_db_path: str = Field(default=".cache/ingest/seen.sqlite3", description="SQLite seen-store")
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "INGEST_KAFKA_BOOTSTRAP_SERVERS"),
    )
    topic: str = topics.ARTICLES
    create_topics: bool = True
    user_agent: str = "idlib-incident-stream/0.1 (+https://github.com/idlib-incident-stream; news research crawler)"
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    read_timeout_seconds: float = Field(default=15.0, gt=0)
    total_timeout_seconds: float = Field(default=30.0, gt=0)
    max_page_bytes: int = Field(default=5_000_000, ge=10_000)
    max_redirects: int = Field(default=5, ge=0, le=20)
    per_host_concurrency: int = Field(default=2, ge=1, le=32)
    min_host_delay_seconds: float = Field(default=1.0, ge=0)
    allow_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="comma-separated CIDRs/hosts exempt from the private-address guard"
    )
    respect_robots: bool = True
    min_text_chars: int = Field(default=300, ge=1, description="shorter cleaned text falls back to the feed summary")
    min_summary_chars: int = Field(default=120, ge=1, description="shorter summaries are dropped, never published")
    near_duplicate_threshold: float = Field(
        default=0.7, gt=0, le=1, description="MinHash Jaccard similarity from which an article is a copy"
    )
    near_duplicate_capacity: int = Field(default=50_000, ge=1, description="recent articles the copy index keeps")
    clean_processes: int = Field(
        default=1, ge=0, le=32, description="processes that run trafilatura (0: a thread of the service)"
    )
    poll_jitter_fraction: float = Field(default=0.1, ge=0, le=1)
    backoff_base_seconds: float = Field(default=30.0, gt=0)
    backoff_max_seconds: float = Field(default=3600.0, gt=0)
    publish_timeout_seconds: float = Field(default=30.0, gt=0)
    publish_linger_ms: int = Field(
        default=20, ge=0, le=1000, description="how long the producer gathers articles into one request"
    )
    max_concurrent_feeds: int = Field(default=8, ge=1)
    metrics_port: int = Field(default=9101, ge=0, le=65535, description="0 disables the metrics endpoint")
    metrics_host: str = "0.0.0.0"
    log_level: str = "INFO"

    @field_validator("allow_networks", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value
