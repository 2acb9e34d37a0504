"""Kafka topic names and header keys: the one place they are spelled."""

from __future__ import annotations

ARTICLES = "idlib.articles.v1"
INCIDENTS = "idlib.incidents.v1"
DEAD_LETTERS = "idlib.articles.dlq.v1"
ARTICLE_INCIDENTS = "idlib.article-incidents.v1"  # compacted: one snapshot per article (key article_id)
EVENTS = "idlib.events.v1"  # compacted: one record per event (key event_id)
EVENTS_DEAD_LETTERS = "idlib.article-incidents.dlq.v1"

# Partitions used when the services create topics themselves (make run, tests, compose's one-shot job).
DEFAULT_PARTITIONS = {ARTICLES: 6, INCIDENTS: 3, DEAD_LETTERS: 1, ARTICLE_INCIDENTS: 3, EVENTS: 3,
                      EVENTS_DEAD_LETTERS: 1}  # fmt: skip
COMPACTED = frozenset({ARTICLE_INCIDENTS, EVENTS})

HEADER_SCHEMA_VERSION = "schema_version"
HEADER_CONTENT_TYPE = "content_type"
HEADER_PRODUCER = "producer"
# Dead-letter headers
HEADER_DLQ_REASON = "dlq_reason"
HEADER_DLQ_ERROR_CLASS = "dlq_error_class"
HEADER_DLQ_ERROR = "dlq_error"
HEADER_DLQ_TOPIC = "dlq_source_topic"
HEADER_DLQ_PARTITION = "dlq_source_partition"
HEADER_DLQ_OFFSET = "dlq_source_offset"
