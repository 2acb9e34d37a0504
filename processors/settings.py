"""Processor configuration: nested frozen settings from PROCESSOR_* (and KAFKA_BOOTSTRAP_SERVERS) variables, the one
source of defaults. Each group reads its own variables, so the flat names (PROCESSOR_MAX_BATCH_RECORDS ...) stay."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.contract import topics

_CONFIG = SettingsConfigDict(env_prefix="PROCESSOR_", frozen=True, extra="ignore")


class ExtractionSettings(BaseSettings):
    """The model and the curated data the extractor uses."""

    model_config = _CONFIG
    spacy_model: str = Field(default="en_core_web_sm", description="spaCy model package name or folder")
    data_dir: str | None = Field(
        default=None,
        validation_alias=AliasChoices("PROCESSOR_DATA_DIR", "PROCESSOR_GAZETTEER_DIR", "data_dir"),
        description="folder whose data files (places.tsv, curated_places.yaml, lexicon.yaml ...) replace the packaged "
        "ones; files it lacks come from the package",
    )
    nlp_batch_size: int = Field(default=8, ge=1, le=1024, description="nlp.pipe batch; peak memory grows with it")


class LoopSettings(BaseSettings):
    """The consume -> transform -> publish -> commit loop: group, topics, batching, acknowledgement waits."""

    model_config = _CONFIG
    group_id: str = "idlib-processors"
    input_topic: str = topics.ARTICLES
    output_topic: str = topics.INCIDENTS
    dead_letter_topic: str = topics.DEAD_LETTERS
    snapshot_topic: str = Field(default=topics.ARTICLE_INCIDENTS, description="worker: per-article snapshots; '' = off")
    region_key: str = Field(
        default="",
        description="worker: the key that routes snapshots to the events stage's partitions; '' = the admin1 of the "
        "data folder's region. Every revision and the withdrawal of an article must carry the same key.",
    )
    max_batch_records: int = Field(default=32, ge=1, le=10_000)
    max_batch_seconds: float = Field(default=1.0, gt=0, le=60)
    publish_timeout_seconds: float = Field(default=30.0, gt=0)
    retry_backoff_seconds: float = Field(default=1.0, gt=0, le=60)
    create_topics: bool = Field(default=True, description="create missing topics at start-up")


class EventsLoopSettings(LoopSettings):
    """The consolidation stage's loop: PROCESSOR_EVENTS_* (its own group, topics and batching)."""

    model_config = SettingsConfigDict(env_prefix="PROCESSOR_EVENTS_", frozen=True, extra="ignore")
    group_id: str = "idlib-events"
    input_topic: str = topics.ARTICLE_INCIDENTS
    output_topic: str = topics.EVENTS
    dead_letter_topic: str = topics.EVENTS_DEAD_LETTERS
    snapshot_topic: str = ""
    max_batch_records: int = Field(default=256, ge=1, le=10_000)


class SinkLoopSettings(LoopSettings):
    """The database sink's loop: PROCESSOR_SINK_* (its own group on the events topic)."""

    model_config = SettingsConfigDict(env_prefix="PROCESSOR_SINK_", frozen=True, extra="ignore")
    group_id: str = "idlib-sink"
    input_topic: str = topics.EVENTS
    output_topic: str = ""
    dead_letter_topic: str = ""
    snapshot_topic: str = ""
    max_batch_records: int = Field(default=500, ge=1, le=10_000)
    metrics_port: int = Field(default=9105, ge=0, le=65535)
    watches_file: str | None = Field(default=None, description="place watches YAML (seeds/watches.yaml)")


class MergeSettings(BaseSettings):
    """How the consolidation stage merges incidents into events (README "Events")."""

    model_config = SettingsConfigDict(env_prefix="PROCESSOR_EVENTS_", frozen=True, extra="ignore")
    window_days: int = Field(default=7, ge=1, le=365, description="events this far behind the newest are closed")
    date_slack_days: int = Field(default=1, ge=0, le=7)
    place_km: float = Field(default=5.0, gt=0, le=50)
    metrics_port: int = Field(default=9104, ge=0, le=65535)


class MetricsSettings(BaseSettings):
    model_config = _CONFIG
    metrics_port: int = Field(default=9102, ge=0, le=65535, description="0 disables the metrics endpoint")
    metrics_host: str = "0.0.0.0"


class ProcessorSettings(BaseSettings):
    model_config = _CONFIG
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "PROCESSOR_KAFKA_BOOTSTRAP_SERVERS"),
    )
    log_level: str = "INFO"
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "database_url"),
        description="PostgreSQL of the sink (postgresql://user:pass@host:5432/db)",
    )
    extraction: ExtractionSettings = Field(default_factory=ExtractionSettings)
    loop: LoopSettings = Field(default_factory=LoopSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    events_loop: EventsLoopSettings = Field(default_factory=EventsLoopSettings)
    merge: MergeSettings = Field(default_factory=MergeSettings)
    sink_loop: SinkLoopSettings = Field(default_factory=SinkLoopSettings)
