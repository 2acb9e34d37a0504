"""A poll that fails while the broker is away is counted, logged and retried: the loop does not die."""

from __future__ import annotations

from typing import Any

from kafka.errors import KafkaConnectionError

from processors.loop import StreamLoop
from processors.metrics import EventsMetrics
from processors.records import Record, Result
from processors.settings import LoopSettings


class FlakyConsumer:
    """Raises like kafka-python does when the coordinator cannot be reached, then returns one record."""

    def __init__(self, loop_holder: list[StreamLoop]) -> None:
        self.polls = 0
        self.loop_holder = loop_holder

    def poll(self, timeout_ms: int, max_records: int) -> dict[Any, list[Record]]:
        self.polls += 1
        if self.polls <= 2:
            raise KafkaConnectionError("111 ECONNREFUSED")
        if self.polls == 3:
            return {"tp": [Record("in", 0, 7, b"k", b"v")]}
        self.loop_holder[0].stop()
        return {}

    def assignment(self) -> set[Any]:
        return set()

    def commit(self, offsets: Any) -> None:
        self.committed = offsets

    def close(self, autocommit: bool = False) -> None:
        pass


class ListSink:
    def __init__(self) -> None:
        self.results: list[Result] = []

    def publish(self, results: Any) -> None:
        self.results.extend(results)

    def close(self) -> None:
        pass


def test_a_failed_poll_is_retried_and_counted() -> None:
    holder: list[StreamLoop] = []
    consumer, sink, metrics = FlakyConsumer(holder), ListSink(), EventsMetrics.create()
    settings = LoopSettings(max_batch_records=4, max_batch_seconds=0.2, retry_backoff_seconds=0.01)
    loop = StreamLoop(consumer, sink, lambda records: [Result(r, outcome="changed") for r in records], metrics.loop,
                      settings)  # type: ignore[arg-type]  # fmt: skip
    holder.append(loop)
    loop.run()  # returns once the consumer stops it: it did not raise
    assert [r.record.offset for r in sink.results] == [7]
    assert metrics.registry.get_sample_value("idlib_events_poll_errors_total") == 2


class AssigningConsumer(FlakyConsumer):
    """Assigns a partition during its first poll (as kafka-python runs the rebalance callback inside poll)."""

    def poll(self, timeout_ms: int, max_records: int) -> dict[Any, list[Record]]:
        self.polls += 1
        if self.polls == 1:
            self.loop_holder[0].on_partitions_assigned(["tp"])  # type: ignore[list-item]
            return {"tp": [Record("in", 0, 3, b"k", b"v")]}
        self.loop_holder[0].stop()
        return {}


def test_preparing_an_assigned_partition_is_retried_before_its_records_are_transformed() -> None:
    holder: list[StreamLoop] = []
    consumer, sink, metrics = AssigningConsumer(holder), ListSink(), EventsMetrics.create()
    prepared: list[Any] = []

    def on_assigned(assigned: Any) -> None:  # the events stage rebuilds its state here, from the broker
        prepared.append(list(assigned))
        if len(prepared) == 1:
            raise KafkaConnectionError("111 ECONNREFUSED")

    def transform(records: Any) -> list[Result]:
        assert len(prepared) == 2, "records transformed before their partition was prepared"
        return [Result(r, outcome="changed") for r in records]

    settings = LoopSettings(max_batch_records=1, max_batch_seconds=0.2, retry_backoff_seconds=0.01)
    loop = StreamLoop(consumer, sink, transform, metrics.loop, settings, on_assigned=on_assigned)  # type: ignore[arg-type]
    holder.append(loop)
    loop.run()
    assert prepared == [["tp"], ["tp"]] and [r.record.offset for r in sink.results] == [3]
    assert metrics.registry.get_sample_value("idlib_events_poll_errors_total") == 1
