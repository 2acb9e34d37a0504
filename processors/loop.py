"""consume -> transform -> sink -> commit: the at-least-once loop every processor stage runs, with a Sink seam
(a Kafka topic sink for the services, a JSONL file sink for the offline commands)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from typing import IO, Any, Protocol

from ingest.contract import BrokerUnavailable
from ingest.contract import topics as t
from ingest.contract.broker import (
    CommitFailedError,
    ConsumerRebalanceListener,
    KafkaConsumer,
    KafkaError,
    KafkaProducer,
    OffsetAndMetadata,
    TopicPartition,
    encode_headers,
    partition_for,
)
from processors.metrics import LoopMetrics
from processors.records import DeadLetter, Result
from processors.settings import LoopSettings

log = logging.getLogger(__name__)


Transform = Callable[[Sequence[Any]], list[Result]]
TOP_UP_SECONDS = 0.05


class Sink(Protocol):
    def publish(self, results: Sequence[Result]) -> None:
        """Write every message and dead letter of a batch; return only once all are durable (else raise
        BrokerUnavailable: the loop replays the batch)."""

    def close(self) -> None: ...


def dead_letter_headers(record: Any, dead: DeadLetter) -> dict[str, str]:
    return {t.HEADER_DLQ_REASON: dead.reason, t.HEADER_DLQ_ERROR_CLASS: dead.error_class,
            t.HEADER_DLQ_ERROR: str(dead)[:500], t.HEADER_DLQ_TOPIC: record.topic,
            t.HEADER_DLQ_PARTITION: str(record.partition), t.HEADER_DLQ_OFFSET: str(record.offset)}  # fmt: skip


class KafkaSink:
    """Messages to a topic, dead letters (original bytes and headers, plus the reason) to the dead-letter topic."""

    def __init__(self, producer: KafkaProducer, topic: str, dead_letter_topic: str, timeout_seconds: float) -> None:
        self.producer = producer
        self.topic = topic
        self.dead_letter_topic = dead_letter_topic
        self.timeout_seconds = timeout_seconds

    def publish(self, results: Sequence[Result]) -> None:
        futures = []
        try:
            for result in results:
                if result.dead is not None:
                    futures.append(self._dead_letter(result.record, result.dead))
                    continue
                for message in result.messages:
                    topic = message.topic or self.topic
                    partition = None
                    if message.partition_key is not None:
                        partition = partition_for(self.producer, topic, message.partition_key)
                    futures.append(self.producer.send(topic, key=message.key, value=message.value, partition=partition,
                                                      headers=encode_headers(message.headers)))  # fmt: skip
            self.producer.flush(timeout=self.timeout_seconds)
            for future in futures:
                future.get(timeout=self.timeout_seconds)
        except (KafkaError, TimeoutError) as exc:
            raise BrokerUnavailable(f"outputs not acknowledged: {type(exc).__name__}: {exc}") from exc

    def _dead_letter(self, record: Any, dead: DeadLetter) -> Any:
        headers = list(record.headers or []) + encode_headers(dead_letter_headers(record, dead))
        log.warning("message dead-lettered", extra={"reason": dead.reason, "error_class": dead.error_class,
                                                    "error": str(dead)[:200], "topic": record.topic,
                                                    "partition": record.partition, "offset": record.offset})  # fmt: skip
        return self.producer.send(self.dead_letter_topic, key=record.key, value=record.value, headers=headers)

    def close(self) -> None:
        try:
            self.producer.flush(timeout=self.timeout_seconds)
        finally:
            self.producer.close(timeout=self.timeout_seconds)


def _error_row(result: Result) -> dict[str, Any]:
    dead = result.dead
    assert dead is not None
    return {"error": str(dead), "reason": dead.reason, "offset": result.record.offset}


class JsonlSink:
    """Each message's value as one line of a text file, in order; a dead letter becomes the line error_row gives
    (default {"error", "reason", "offset"}) and a log line."""

    def __init__(self, handle: IO[str], error_row: Callable[[Result], dict[str, Any]] = _error_row) -> None:
        self.handle = handle
        self.error_row = error_row

    def publish(self, results: Sequence[Result]) -> None:
        for result in results:
            if result.dead is not None:
                log.warning("bad input record", extra={"reason": result.dead.reason, "error": str(result.dead)[:200],
                                                       "offset": result.record.offset})  # fmt: skip
                self.handle.write(json.dumps(self.error_row(result), ensure_ascii=False) + "\n")
                continue
            for message in result.messages:
                if message.value is not None:
                    self.handle.write(message.value.decode("utf-8") + "\n")
        self.handle.flush()

    def close(self) -> None:
        self.handle.flush()


def run_offline(records: Iterator[Any], transform: Transform, sink: Sink, batch_records: int) -> int:
    """The same transform and sink without a broker: batches of records in order (the offline commands)."""
    batch: list[Any] = []
    count = 0
    for record in records:
        batch.append(record)
        if len(batch) >= batch_records:
            sink.publish(transform(batch))
            count += len(batch)
            batch = []
    if batch:
        sink.publish(transform(batch))
        count += len(batch)
    return count


class StreamLoop:
    """At-least-once: a batch's outputs are acknowledged by the sink before its offsets are committed; replays
    reuse keys. Bad records are dead-lettered and committed, so no partition stalls."""

    def __init__(self, consumer: KafkaConsumer, sink: Sink, transform: Transform, metrics: LoopMetrics,
                 settings: LoopSettings, after_commit: Callable[[Sequence[Result]], None] | None = None,
                 on_assigned: Callable[[Sequence[TopicPartition]], None] | None = None,
                 on_revoked: Callable[[Sequence[TopicPartition]], None] | None = None) -> None:  # fmt: skip
        self.consumer = consumer
        self.sink = sink
        self.transform = transform
        self.metrics = metrics
        self.settings = settings
        self.after_commit = after_commit
        self.on_assigned = on_assigned
        self.on_revoked = on_revoked
        self.stopping = threading.Event()
        self._retries = 0
        self._revoked: set[TopicPartition] = set()
        self._assigned: list[TopicPartition] = []

    # -- rebalance ---------------------------------------------------------------------------------------------
    def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        """Completed batches are committed before the next poll, and rebalances only run inside poll, so nothing
        finished is uncommitted here. A batch still being gathered stops gathering (see _poll_batch); its records of
        revoked partitions are not committed by this loop: their new owner replays them under the same keys."""
        self._revoked.update(revoked)
        log.info("partitions revoked", extra={"partitions": [p.partition for p in revoked]})
        for tp in revoked:
            with suppress(KeyError):  # never set for a partition revoked before its first batch
                self.metrics.consumer_lag.remove(tp.topic, str(tp.partition))
        if self.on_revoked is not None:
            self.on_revoked(revoked)

    def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        self._revoked.difference_update(assigned)
        log.info("partitions assigned", extra={"partitions": sorted(p.partition for p in assigned)})
        self._assigned.extend(assigned)  # handled by the loop thread after the poll: no blocking calls in here

    # -- loop --------------------------------------------------------------------------------------------------
    def run(self) -> None:
        """Until stop(): poll a batch, process it completely, repeat. Leaves the group on the way out."""
        try:
            while not self.stopping.is_set():
                records = self._poll_batch()
                if self._assigned:
                    assigned, self._assigned = self._assigned, []
                    if self.on_assigned is not None and not self._prepare(assigned):
                        return  # stopped while the broker was away: nothing of this batch was committed
                if records:
                    self._process_with_retry(records)
                self._update_lag()
        finally:
            self._close()

    def stop(self) -> None:
        self.stopping.set()

    def _backoff(self, failures: int) -> float:
        """Seconds before the next try: doubling from retry_backoff_seconds, at most 30."""
        return min(30.0, self.settings.retry_backoff_seconds * 2.0 ** min(failures, 5))

    def _prepare(self, assigned: Sequence[TopicPartition]) -> bool:
        """on_assigned (the events stage rebuilds its state there) before any record of those partitions is
        transformed; retried while the broker cannot be reached. False: stopped first."""
        assert self.on_assigned is not None
        failures = 0
        while True:
            try:
                self.on_assigned(assigned)
                return True
            except (KafkaError, BrokerUnavailable) as exc:
                failures += 1
                self.metrics.poll_errors.inc()
                delay = self._backoff(failures)
                log.warning("preparing assigned partitions failed; retrying",
                            extra={"reason": f"{type(exc).__name__}: {str(exc)[:200]}", "retry_in_seconds": delay})  # fmt: skip
                if self.stopping.wait(delay):
                    return False

    def _poll_batch(self) -> list[Any]:
        records: list[Any] = []
        self._revoked.clear()  # describes the batch being gathered: everything before it is committed
        deadline = time.monotonic() + self.settings.max_batch_seconds
        while len(records) < self.settings.max_batch_records and not self.stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if records:  # top up with what is at hand; a partial batch does not wait for records yet to come
                remaining = min(remaining, TOP_UP_SECONDS)
            try:
                polled = self.consumer.poll(timeout_ms=int(remaining * 1000) or 1,
                                            max_records=self.settings.max_batch_records - len(records))  # fmt: skip
            except KafkaError as exc:  # the broker is away (kafka-python may raise while finding the coordinator)
                self.metrics.poll_errors.inc()
                log.warning("poll failed; retrying", extra={"reason": f"{type(exc).__name__}: {str(exc)[:200]}"})
                self.stopping.wait(self.settings.retry_backoff_seconds)
                break  # what is held is processed; the next poll retries
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
                delay = self._backoff(self._retries)
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

    # -- one batch ---------------------------------------------------------------------------------------------
    def process_batch(self, records: list[Any]) -> None:
        self.metrics.batch_size.observe(len(records))
        results = self.transform(records)
        with self.metrics.stage("publish"):
            self.sink.publish(results)
        with self.metrics.stage("commit"):
            self.commit(records)
        for result in results:
            if result.dead is not None:
                self.metrics.dead_letters.labels(result.dead.reason).inc()
                self.metrics.messages.labels("dead_letter").inc()
            else:
                self.metrics.messages.labels(result.outcome).inc()
        if self.after_commit is not None:
            self.after_commit(results)
        self.metrics.last_batch.set(time.time())

    def commit(self, records: Sequence[Any]) -> None:
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
            self.sink.close()
        finally:
            self.consumer.close(autocommit=False)  # leaves the group: partitions move to the others at once
            log.info("loop stopped")


def rebalance_listener(loop_ref: Callable[[], StreamLoop | None]) -> Any:
    """A kafka-python ConsumerRebalanceListener that forwards to the loop once it exists."""

    class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
        def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
            loop = loop_ref()
            if loop:
                loop.on_partitions_revoked(revoked)

        def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
            loop = loop_ref()
            if loop:
                loop.on_partitions_assigned(assigned)

    return _Listener()
