"""The processor worker: consume Articles in a group, extract incidents in batches, publish, then commit."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from ingest.contract import BrokerUnavailable, Incident
from ingest.contract import topics as t
from ingest.contract.broker import (
    CommitFailedError,
    KafkaConsumer,
    KafkaError,
    KafkaProducer,
    OffsetAndMetadata,
    TopicPartition,
    decode_headers,
    encode_headers,
)
from processors.decode import DeadLetter, decode_article
from processors.documents import from_article
from processors.extract import Document, Extractor
from processors.metrics import ProcessorMetrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    input_topic: str
    output_topic: str
    dead_letter_topic: str
    max_batch_records: int = 32
    max_batch_seconds: float = 1.0
    publish_timeout_seconds: float = 30.0
    retry_backoff_seconds: float = 1.0


@dataclass
class _Item:
    record: Any
    document: Document | None = None
    incidents: list[Incident] = field(default_factory=list)
    dead: DeadLetter | None = None


class Worker:
    """At-least-once: outputs of a batch are acknowledged before its offsets are committed; replays reuse keys."""

    def __init__(self, consumer: KafkaConsumer, producer: KafkaProducer, extractor: Extractor,
                 metrics: ProcessorMetrics, config: WorkerConfig) -> None:  # fmt: skip
        self.consumer = consumer
        self.producer = producer
        self.extractor = extractor
        self.metrics = metrics
        self.config = config
        self.stopping = threading.Event()
        self._retries = 0
        self._revoked: set[TopicPartition] = set()

    # -- rebalance ---------------------------------------------------------------------------------------------
    def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        """Completed batches are committed before the next poll, and rebalances only run inside poll, so nothing
        finished is uncommitted here. A batch still being gathered stops gathering (see _poll_batch); its records of
        revoked partitions are not committed by this worker: their new owner replays them under the same keys."""
        self._revoked.update(revoked)
        log.info("partitions revoked", extra={"partitions": [p.partition for p in revoked]})
        for tp in revoked:
            with suppress(KeyError):  # never set for a partition revoked before its first batch
                self.metrics.consumer_lag.remove(tp.topic, str(tp.partition))

    def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        self._revoked.difference_update(assigned)
        log.info("partitions assigned", extra={"partitions": sorted(p.partition for p in assigned)})

    # -- loop --------------------------------------------------------------------------------------------------
    def run(self) -> None:
        """Until stop(): poll a batch, process it completely, repeat. Leaves the group on the way out."""
        try:
            while not self.stopping.is_set():
                records = self._poll_batch()
                if records:
                    self._process_with_retry(records)
                self._update_lag()
        finally:
            self._close()

    def stop(self) -> None:
        self.stopping.set()

    def _poll_batch(self) -> list[Any]:
        records: list[Any] = []
        self._revoked.clear()  # describes the batch being gathered: everything before it is committed
        deadline = time.monotonic() + self.config.max_batch_seconds
        while len(records) < self.config.max_batch_records and not self.stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            polled = self.consumer.poll(timeout_ms=int(remaining * 1000) or 1,
                                        max_records=self.config.max_batch_records - len(records))  # fmt: skip
            for batch in polled.values():
                records.extend(batch)
            if (records and not polled) or self._revoked:
                break  # a rebalance happened inside poll: finish what we hold before polling again
        return records

    def _process_with_retry(self, records: list[Any]) -> None:
        while True:
            try:
                self.process_batch(records)
                self._retries = 0
                return
            except BrokerUnavailable as exc:
                self._retries += 1
                self.metrics.publish_retries.inc()
                delay = min(30.0, self.config.retry_backoff_seconds * 2 ** min(self._retries, 5))
                log.error("broker did not acknowledge the batch; replaying it",
                          extra={"reason": str(exc), "records": len(records), "retry_in_seconds": delay})  # fmt: skip
                if self.stopping.wait(delay):
                    self._rewind(records)  # not committed: the next owner of these partitions replays them
                    return

    def _rewind(self, records: list[Any]) -> None:
        first: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            first[tp] = min(first.get(tp, r.offset), r.offset)
        for tp, offset in first.items():
            self.consumer.seek(tp, offset)

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.metrics.stage_duration.labels(name).observe(time.perf_counter() - started)

    # -- one batch ---------------------------------------------------------------------------------------------
    def process_batch(self, records: list[Any]) -> None:
        self.metrics.batch_size.observe(len(records))
        items = [_Item(r) for r in records]
        with self._stage("decode"):
            for item in items:
                try:
                    article = decode_article(item.record.value, decode_headers(item.record.headers))
                    item.document = from_article(article)
                except DeadLetter as dead:
                    item.dead = dead
        with self._stage("nlp"):
            self._extract(items)
        with self._stage("publish"):
            self._publish(items)
        with self._stage("commit"):
            self._commit(records)
        self._count(items)
        self.metrics.last_batch.set(time.time())

    def _extract(self, items: list[_Item]) -> None:
        todo = [i for i in items if i.document is not None]
        try:
            results = self.extractor.extract_batch([i.document for i in todo])  # type: ignore[misc]
        except Exception:  # the per-message boundary: find the poison document one by one
            log.warning("batch extraction failed; isolating the failing article", exc_info=True)
            results = []
            for item in todo:
                try:
                    results.append(self.extractor.extract(item.document))  # type: ignore[arg-type]
                except Exception as exc:
                    item.dead = DeadLetter("extractor_error", str(exc)[:500], type(exc).__name__)
                    results.append([])
        for item, incidents in zip(todo, results, strict=True):
            item.incidents = incidents

    def _publish(self, items: list[_Item]) -> None:
        futures = []
        try:
            for item in items:
                if item.dead is not None:
                    futures.append(self._send_dead_letter(item.record, item.dead))
                    continue
                for incident in item.incidents:
                    futures.append(self.producer.send(
                        self.config.output_topic, key=incident.incident_id.encode(),
                        value=incident.model_dump_json().encode(),
                        headers=encode_headers({t.HEADER_SCHEMA_VERSION: incident.schema_version,
                                                t.HEADER_CONTENT_TYPE: "application/json",
                                                t.HEADER_PRODUCER: "idlib-processor"}),
                    ))  # fmt: skip
            self.producer.flush(timeout=self.config.publish_timeout_seconds)
            for future in futures:
                future.get(timeout=self.config.publish_timeout_seconds)
        except (KafkaError, TimeoutError) as exc:
            raise BrokerUnavailable(f"outputs not acknowledged: {type(exc).__name__}: {exc}") from exc

    def _send_dead_letter(self, record: Any, dead: DeadLetter) -> Any:
        headers = list(record.headers or []) + encode_headers({
            t.HEADER_DLQ_REASON: dead.reason, t.HEADER_DLQ_ERROR_CLASS: dead.error_class,
            t.HEADER_DLQ_ERROR: str(dead)[:500], t.HEADER_DLQ_TOPIC: record.topic,
            t.HEADER_DLQ_PARTITION: record.partition, t.HEADER_DLQ_OFFSET: record.offset,
        })  # fmt: skip
        log.warning("message dead-lettered", extra={"reason": dead.reason, "error_class": dead.error_class,
                                                    "error": str(dead)[:200], "topic": record.topic,
                                                    "partition": record.partition, "offset": record.offset})  # fmt: skip
        return self.producer.send(self.config.dead_letter_topic, key=record.key, value=record.value, headers=headers)

    def _commit(self, records: list[Any]) -> None:
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            if tp not in offsets or offsets[tp].offset <= r.offset:
                offsets[tp] = OffsetAndMetadata(r.offset + 1, "", -1)
        owned = {tp: meta for tp, meta in offsets.items() if tp not in self._revoked}
        if len(owned) < len(offsets):
            log.warning("not committing partitions revoked during the batch; their new owner replays them",
                        extra={"partitions": sorted(tp.partition for tp in offsets if tp not in owned)})  # fmt: skip
        if not owned:
            return
        try:
            self.consumer.commit(offsets=owned)
        except CommitFailedError as exc:  # the group moved on: outputs are published, the new owner replays them
            log.warning(
                "commit rejected after a rebalance; records will be replayed under the same keys",
                extra={"reason": str(exc)[:200]},
            )
        except KafkaError as exc:
            raise BrokerUnavailable(f"commit failed: {type(exc).__name__}: {exc}") from exc

    def _count(self, items: list[_Item]) -> None:
        for item in items:
            if item.dead is not None:
                self.metrics.dead_letters.labels(item.dead.reason).inc()
                self.metrics.messages.labels("dead_letter").inc()
            elif item.incidents:
                self.metrics.messages.labels("incidents").inc()
                for incident in item.incidents:
                    self.metrics.incidents.labels(incident.event_type).inc()
                self.metrics.last_incident.set(time.time())
            elif item.document is not None and not self.extractor.relevant(item.document):
                self.metrics.messages.labels("not_relevant").inc()
            else:
                self.metrics.messages.labels("no_incident").inc()

    def _update_lag(self) -> None:
        for tp in self.consumer.assignment():
            end = self.consumer.highwater(tp)
            if end is None:
                continue
            try:
                position = self.consumer.position(tp)
            except KafkaError:
                continue
            self.metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, end - position))

    def _close(self) -> None:
        try:
            self.producer.flush(timeout=self.config.publish_timeout_seconds)
        finally:
            self.consumer.close(autocommit=False)  # leaves the group: partitions move to the others at once
            self.producer.close(timeout=self.config.publish_timeout_seconds)
            log.info("worker stopped")


def rebalance_listener(worker_ref: Callable[[], Worker | None]) -> Any:
    """A kafka-python ConsumerRebalanceListener that forwards to the worker once it exists."""
    from ingest.contract.broker import ConsumerRebalanceListener

    class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
        def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
            worker = worker_ref()
            if worker:
                worker.on_partitions_revoked(revoked)

        def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
            worker = worker_ref()
            if worker:
                worker.on_partitions_assigned(assigned)

    return _Listener()
