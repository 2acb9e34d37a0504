"""Processor configuration: one frozen settings object from PROCESSOR_* (and KAFKA_BOOTSTRAP_SERVERS) variables."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.contract import topics


class ProcessorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROCESSOR_", frozen=True, extra="ignore")

    spacy_model: str = Field(default="en_core_web_sm", description="spaCy model package name or folder")
    gazetteer_dir: str | None = Field(default=None, description="folder with places.tsv etc. (default: packaged)")
    nlp_batch_size: int = Field(default=8, ge=1, le=1024, description="nlp.pipe batch; peak memory grows with it")
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "PROCESSOR_KAFKA_BOOTSTRAP_SERVERS"),
    )
    group_id: str = "idlib-processors"
    input_topic: str = topics.ARTICLES
    output_topic: str = topics.INCIDENTS
    dead_letter_topic: str = topics.DEAD_LETTERS
    max_batch_records: int = Field(default=32, ge=1, le=10_000)
    max_batch_seconds: float = Field(default=1.0, gt=0, le=60)
    publish_timeout_seconds: float = Field(default=30.0, gt=0)
    metrics_port: int = Field(default=9102, ge=0, le=65535, description="0 disables the metrics endpoint")
    metrics_host: str = "0.0.0.0"
    log_level: str = "INFO"
    create_topics: bool = Field(default=True, description="create missing topics at start-up")
