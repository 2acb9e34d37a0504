"""The values a stream stage passes around: consumed records, output messages, dead letters, results (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ingest.contract import PermanentError


class DeadLetter(PermanentError):
    """A message that can never be processed as it is; reason is the metric label."""

    def __init__(self, reason: str, message: str, error_class: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.error_class = error_class


@dataclass(frozen=True)
class Record:
    """A consumed record, as the loop hands it to a transform (kafka-python's ConsumerRecord has these fields)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = ()


@dataclass(frozen=True)
class Message:
    """One output: a key and value for the sink's topic (value None: a tombstone)."""

    key: bytes | None
    value: bytes | None
    headers: dict[str, str] = field(default_factory=dict)
    topic: str | None = None  # None: the sink's default topic
    partition_key: bytes | None = None  # routes the record by this instead of its key (records that must meet)


@dataclass
class Result:
    """What a transform made of one record: messages to publish, or a dead letter; outcome is the metric label."""

    record: Any
    messages: list[Message] = field(default_factory=list)
    dead: DeadLetter | None = None
    outcome: str = ""
    detail: Any = None  # the transform's own value (e.g. the extraction Outcome), for after_commit
