"""Command line of the processor service: `worker`, `tail`, `extract` and `eval`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from ingest.contract import ConfigurationError, PermanentError, jsonlog
from processors.settings import ProcessorSettings

log = logging.getLogger("processors")


@contextmanager
def _open(path: str | None, mode: str, default: IO[str]) -> Iterator[IO[str]]:
    if path in (None, "-"):
        yield default
    else:
        with Path(path).open(mode, encoding="utf-8") as handle:
            yield handle


def _extractor(settings: ProcessorSettings):  # type: ignore[no-untyped-def]
    from processors.extract import Extractor
    from processors.nlp import build_pipeline

    return Extractor(build_pipeline(settings.spacy_model, settings.gazetteer_dir), batch_size=settings.nlp_batch_size)


def cmd_extract(args: argparse.Namespace, settings: ProcessorSettings) -> int:
    """JSONL in -> JSONL out, same order; a bad line yields {"id", "incidents": [], "error"} and a log line."""
    from processors.documents import from_json_line

    extractor = _extractor(settings)
    with _open(args.input, "r", sys.stdin) as source, _open(args.output, "w", sys.stdout) as sink:
        batch: list[tuple[int, str]] = []

        def flush() -> None:
            docs, slots = [], []
            rows: list[dict[str, object]] = []
            for number, line in batch:
                try:
                    docs.append(from_json_line(line))
                    slots.append(len(rows))
                    rows.append({})
                except PermanentError as exc:
                    log.warning("bad input line", extra={"line": number, "reason": str(exc)})
                    rows.append({"id": _guess_id(line), "incidents": [], "error": str(exc)})
            for slot, doc, incidents in zip(slots, docs, extractor.extract_batch(docs), strict=True):
                rows[slot] = {"id": doc.id, "incidents": [i.model_dump(mode="json") for i in incidents]}
            for row in rows:
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            batch.clear()

        for number, line in enumerate(source, start=1):
            if line.strip():
                batch.append((number, line))
            if len(batch) >= settings.nlp_batch_size:
                flush()
        flush()
    return 0


def _guess_id(line: str) -> object:
    try:
        value = json.loads(line)
        return value.get("id") if isinstance(value, dict) else None
    except json.JSONDecodeError:
        return None


def cmd_eval(args: argparse.Namespace, settings: ProcessorSettings) -> int:
    from processors.documents import parse_published
    from processors.evaluate import format_report, score
    from processors.extract import Document

    records = [json.loads(line) for line in Path(args.gold).read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = [
        Document(id=r["id"], text=r["text"], title=r.get("title") or "", published=parse_published(r.get("published")))
        for r in records
    ]
    report = score(records, _extractor(settings).extract_batch(docs))
    print(f"gold: {args.gold} ({len(records)} documents)")
    print(format_report(report))
    if args.errors:
        Path(args.errors).write_text(
            "\n".join(json.dumps(e, ensure_ascii=False, default=str) for e in report.errors) + "\n", encoding="utf-8"
        )
    if args.json:
        print(json.dumps(report.summary()))
    return 0


def cmd_worker(args: argparse.Namespace, settings: ProcessorSettings) -> int:
    """Consume articles in the group, publish incidents; SIGTERM finishes the batch, commits and leaves the group."""
    import signal

    from prometheus_client import start_http_server

    from ingest.contract import topics
    from ingest.contract.broker import ensure_topics, make_consumer, make_producer
    from processors.metrics import ProcessorMetrics
    from processors.worker import Worker, WorkerConfig, rebalance_listener

    extractor = _extractor(settings)  # loads the model and gazetteer before joining the group
    metrics = ProcessorMetrics.create()
    port = args.metrics_port if args.metrics_port is not None else settings.metrics_port
    if port:
        start_http_server(port, addr=settings.metrics_host, registry=metrics.registry)
    bootstrap = settings.kafka_bootstrap_servers
    if settings.create_topics:
        wanted = (settings.input_topic, settings.output_topic, settings.dead_letter_topic)
        ensure_topics(bootstrap, {name: topics.DEFAULT_PARTITIONS.get(name, 3) for name in wanted})
    holder: list[Worker] = []
    consumer = make_consumer(bootstrap, settings.group_id, [settings.input_topic],
                             listener=rebalance_listener(lambda: holder[0] if holder else None),
                             max_poll_records=settings.max_batch_records)  # fmt: skip
    producer = make_producer(bootstrap, client_id=f"{settings.group_id}-producer")
    worker = Worker(consumer, producer, extractor, metrics, WorkerConfig(
        input_topic=settings.input_topic, output_topic=settings.output_topic,
        dead_letter_topic=settings.dead_letter_topic, max_batch_records=settings.max_batch_records,
        max_batch_seconds=settings.max_batch_seconds, publish_timeout_seconds=settings.publish_timeout_seconds,
    ))  # fmt: skip
    holder.append(worker)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    log.info("worker started", extra={"group": settings.group_id, "topic": settings.input_topic, "metrics_port": port})
    worker.run()
    return 0


def cmd_tail(args: argparse.Namespace, settings: ProcessorSettings) -> int:
    """Follow the incidents topic and print a table (or JSON lines)."""
    import signal

    from ingest.contract.broker import make_consumer
    from processors.tail import follow

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    consumer = make_consumer(settings.kafka_bootstrap_servers, None)
    try:
        follow(consumer, settings.output_topic, sys.stdout, args.json, args.from_beginning, args.max,
               args.idle_timeout, lambda: stopping)  # fmt: skip
    finally:
        consumer.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idlib-processor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("worker", help="consume articles from Kafka and publish incidents (a consumer-group member)")
    p.add_argument("--metrics-port", type=int, default=None, help="Prometheus port (PROCESSOR_METRICS_PORT), 0 = off")
    p = sub.add_parser("tail", help="follow the incidents topic and print incidents as they arrive")
    p.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    p.add_argument("--from-beginning", action="store_true", help="start at the oldest incident, not the newest")
    p.add_argument("--max", type=int, default=None, help="stop after this many incidents")
    p.add_argument("--idle-timeout", type=float, default=None, help="stop after this many seconds without one")
    p = sub.add_parser("extract", help="JSONL texts in -> JSONL incidents out (no Kafka)")
    p.add_argument("--input", "-i", default=None, help="input file (default stdin)")
    p.add_argument("--output", "-o", default=None, help="output file (default stdout)")
    p = sub.add_parser("eval", help="score extraction against a labelled gold JSONL file")
    p.add_argument("--gold", required=True)
    p.add_argument("--errors", default=None, help="write per-document mistakes as JSONL here")
    p.add_argument("--json", action="store_true", help="also print the scores as one JSON line")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = ProcessorSettings()
    except ValidationError as exc:
        print(f"error: bad configuration: {exc}", file=sys.stderr)
        return 2
    jsonlog.configure(settings.log_level)
    handlers = {"extract": cmd_extract, "eval": cmd_eval, "worker": cmd_worker, "tail": cmd_tail}
    try:
        return handlers[args.command](args, settings)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception:  # the process boundary: log and exit 1
        log.exception("processor crashed")
        return 1


if __name__ == "__main__":
    sys.exit(main())
