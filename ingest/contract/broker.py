"""Kafka plumbing shared by both services: the only module that imports kafka-python."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import CommitFailedError, KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from ingest.contract.errors import BrokerUnavailable

log = logging.getLogger(__name__)

Headers = list[tuple[str, bytes]]

__all__ = [
    "BrokerUnavailable",
    "CommitFailedError",
    "ConsumerRebalanceListener",
    "Headers",
    "KafkaConsumer",
    "KafkaError",
    "KafkaProducer",
    "OffsetAndMetadata",
    "TopicPartition",
    "decode_headers",
    "encode_headers",
    "ensure_topics",
    "make_consumer",
    "make_producer",
]


def encode_headers(values: Mapping[str, str | int]) -> Headers:
    return [(key, str(value).encode("utf-8")) for key, value in values.items()]


def decode_headers(headers: Iterable[tuple[str, bytes | None]] | None) -> dict[str, str]:
    return {key: (value or b"").decode("utf-8", "replace") for key, value in (headers or [])}


def make_producer(bootstrap_servers: str, client_id: str, **overrides: Any) -> KafkaProducer:
    """A producer that waits for all in-sync replicas and de-duplicates its own retries."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers,
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "retries": 5,
        "max_in_flight_requests_per_connection": 5,
        "request_timeout_ms": 15_000,
        "max_block_ms": 15_000,
        "compression_type": None,
    }
    options.update(overrides)
    try:
        return KafkaProducer(**options)
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot connect producer to {bootstrap_servers}: {exc}") from exc


def make_consumer(
    bootstrap_servers: str, group_id: str | None, topics: Sequence[str] = (), listener: Any = None, **overrides: Any
) -> KafkaConsumer:
    """A consumer in a group that commits only when told to (at-least-once)."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers,
        "group_id": group_id,
        "client_id": group_id or "idlib-reader",
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_records": 64,
        "session_timeout_ms": 10_000,
        "heartbeat_interval_ms": 1_000,
        "max_poll_interval_ms": 300_000,
    }
    options.update(overrides)
    try:
        consumer = KafkaConsumer(**options)
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot connect consumer to {bootstrap_servers}: {exc}") from exc
    if topics:
        if listener is not None:
            consumer.subscribe(list(topics), listener=listener)
        else:
            consumer.subscribe(list(topics))
    return consumer


def partition_for(producer: KafkaProducer, topic: str, key: bytes) -> int:
    """The partition kafka-python's default partitioner gives `key` (murmur2, as the Java client): records that share
    a routing key meet in one partition even when their message key differs."""
    from kafka.partitioner.default import murmur2

    parts = sorted(producer.partitions_for(topic))
    return int(parts[(murmur2(key) & 0x7FFFFFFF) % len(parts)])


def _configs(compact: bool) -> dict[str, str]:
    return {"cleanup.policy": "compact"} if compact else {}


def ensure_topics(bootstrap_servers: str, partitions: Mapping[str, int], timeout_seconds: float = 30.0,
                  compacted: Iterable[str] = ()) -> None:  # fmt: skip
    """Create the topics that do not exist yet (those in `compacted` with cleanup.policy=compact) and wait until the
    broker reports all of them."""
    compact = set(compacted)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="idlib-topic-admin")
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(name=name, num_partitions=count, replication_factor=1, topic_configs=_configs(name in compact))
            for name, count in partitions.items()
            if name not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process created it meanwhile
                admin.create_topics(new_topics=missing, validate_only=False)
            for topic in missing:
                log.info("topic created", extra={"topic": topic.name, "partitions": topic.num_partitions})
        deadline = time.monotonic() + timeout_seconds
        while not set(partitions) <= set(admin.list_topics()):
            if time.monotonic() > deadline:
                raise BrokerUnavailable(f"topics {sorted(partitions)} not visible after {timeout_seconds}s")
            time.sleep(0.2)
    finally:
        admin.close()
