"""The extraction stage: Article records -> Incident messages, as a transform for the StreamLoop."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol

from ingest.contract import ArticleSnapshot, Incident
from ingest.contract import topics as t
from ingest.contract.broker import decode_headers
from processors.decode import decode_article
from processors.documents import from_article
from processors.extract import Document, Extractor, Outcome
from processors.metrics import ProcessorMetrics
from processors.records import DeadLetter, Message, Result

log = logging.getLogger(__name__)

PRODUCER = "idlib-processor"


class Stages(Protocol):
    def stage(self, name: str) -> AbstractContextManager[None]: ...


def incident_message(incident: Incident) -> Message:
    return Message(
        key=incident.incident_id.encode(),
        value=incident.model_dump_json().encode(),
        headers={t.HEADER_SCHEMA_VERSION: str(incident.schema_version), t.HEADER_CONTENT_TYPE: "application/json",
                 t.HEADER_PRODUCER: PRODUCER},
    )  # fmt: skip


def outcome_label(outcome: Outcome) -> str:
    if outcome.incidents:
        return "incidents"
    return "no_incident" if outcome.relevant else "not_relevant"


def article_document(record: Any) -> Document:
    """An Article record's Document (raises DeadLetter when the record is not a valid Article)."""
    return from_article(decode_article(record.value, decode_headers(record.headers)))


def incident_messages(document: Document, outcome: Outcome) -> list[Message]:
    return [incident_message(incident) for incident in outcome.incidents]


def snapshot_of(document: Document, outcome: Outcome, region: str) -> ArticleSnapshot:
    return ArticleSnapshot(article_id=document.id, revision=document.revision, url=document.url,
                           source_name=document.source_name, published_at=document.published, region=region,
                           duplicate_of=document.duplicate_of, incidents=outcome.incidents)  # fmt: skip


def with_snapshot(topic: str, region: str) -> Callable[[Document, Outcome], list[Message]]:
    """The worker's encoding: each incident (the "mentions" topic, as before), then the article's snapshot on the
    compacted snapshot topic, routed by region so that the consolidation stage sees a region in one partition."""

    def encode(document: Document, outcome: Outcome) -> list[Message]:
        snapshot = snapshot_of(document, outcome, region)
        return [*incident_messages(document, outcome), Message(
            key=document.id.encode(), value=snapshot.model_dump_json().encode(), topic=topic,
            partition_key=region.encode(),
            headers={t.HEADER_SCHEMA_VERSION: "1", t.HEADER_CONTENT_TYPE: "application/json", t.HEADER_PRODUCER: PRODUCER},
        )]  # fmt: skip

    return encode


def withdrawal(topic: str, region: str) -> Callable[[Any], list[Message]]:
    """An article tombstone (key, no value) withdraws the article: its snapshot becomes a tombstone too."""

    def encode(record: Any) -> list[Message]:
        return [Message(key=record.key, value=None, topic=topic, partition_key=region.encode())]

    return encode


class ExtractionTransform:
    """Decodes each record to a Document, extracts in one nlp.pipe batch (isolating a document that breaks the
    batch), and encodes each Outcome as messages. The worker and the offline `extract` differ only in decode/encode."""

    def __init__(self, extractor: Extractor, stages: Stages | None = None,
                 decode: Callable[[Any], Document] = article_document,
                 encode: Callable[[Document, Outcome], list[Message]] = incident_messages,
                 on_tombstone: Callable[[Any], list[Message]] | None = None) -> None:  # fmt: skip
        self.extractor = extractor
        self.stages = stages
        self.decode = decode
        self.encode = encode
        self.on_tombstone = on_tombstone

    def _stage(self, name: str) -> AbstractContextManager[None]:
        return self.stages.stage(name) if self.stages is not None else nullcontext()

    def __call__(self, records: Sequence[Any]) -> list[Result]:
        results = [Result(r) for r in records]
        documents: dict[int, Document] = {}
        with self._stage("decode"):
            for i, result in enumerate(results):
                if result.record.value is None and result.record.key and self.on_tombstone is not None:
                    result.messages, result.outcome = self.on_tombstone(result.record), "withdrawn"
                    continue
                try:
                    documents[i] = self.decode(result.record)
                except DeadLetter as dead:
                    result.dead = dead
        with self._stage("nlp"):
            for i, outcome in self._extract(results, documents).items():
                results[i].detail = outcome
                results[i].outcome = outcome_label(outcome)
                results[i].messages = self.encode(documents[i], outcome)
        return results

    def _extract(self, results: list[Result], documents: dict[int, Document]) -> dict[int, Outcome]:
        order = sorted(documents)
        try:
            return dict(zip(order, self.extractor.extract_batch([documents[i] for i in order]), strict=True))
        except Exception:  # the per-message boundary: find the poison document one by one
            log.warning("batch extraction failed; isolating the failing article", exc_info=True)
        outcomes: dict[int, Outcome] = {}
        for i in order:
            try:
                outcomes[i] = self.extractor.extract(documents[i])
            except Exception as exc:
                results[i].dead = DeadLetter("extractor_error", str(exc)[:500], type(exc).__name__)
        return outcomes


def count_outcomes(metrics: ProcessorMetrics) -> Any:
    """The after-commit hook: incidents by type, why relevant articles gave none, the last incident's time."""

    def after_commit(results: Sequence[Result]) -> None:
        for result in results:
            outcome = result.detail
            if result.dead is not None or not isinstance(outcome, Outcome):
                continue
            for incident in outcome.incidents:
                metrics.incidents.labels(incident.event_type).inc()
            for reason in outcome.reasons:
                metrics.no_incident_reasons.labels(reason).inc()
            if outcome.incidents:
                metrics.last_incident.set(time.time())

    return after_commit
