"""The shared contract: message models, topic names, errors. Processors import this; it imports nothing of theirs."""

from ingest.contract.errors import (
    BrokerUnavailable,
    ConfigurationError,
    IdlibStreamError,
    PermanentError,
    RetriableError,
)
from ingest.contract.models import (
    SCHEMA_VERSION,
    SUPPORTED_SCHEMA_VERSIONS,
    TAXONOMY,
    Actor,
    Article,
    ArticleSnapshot,
    Event,
    EventSource,
    Evidence,
    Incident,
    Location,
    Source,
    content_hash,
    stable_id,
)

__all__ = [
    "SCHEMA_VERSION",
    "SUPPORTED_SCHEMA_VERSIONS",
    "TAXONOMY",
    "Actor",
    "Article",
    "ArticleSnapshot",
    "BrokerUnavailable",
    "ConfigurationError",
    "Event",
    "EventSource",
    "Evidence",
    "IdlibStreamError",
    "Incident",
    "Location",
    "PermanentError",
    "RetriableError",
    "Source",
    "content_hash",
    "stable_id",
]
