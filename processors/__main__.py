"""Command line of the processor service: `worker`, `tail`, `extract` and `eval`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pydantic import ValidationError

from ingest.contract import ConfigurationError, PermanentError, jsonlog
from processors.records import DeadLetter, Message, Record, Result
from processors.settings import ProcessorSettings

if TYPE_CHECKING:
    from processors.extract import Document, Outcome

log = logging.getLogger("processors")


@contextmanager
def _open(path: str | None, mode: str, default: IO[str]) -> Iterator[IO[str]]:
    if path in (None, "-"):
        yield default
    else:
        with Path(path).open(mode, encoding="utf-8") as handle:
            yield handle


def _extractor(settings: ProcessorSettings):  # type: ignore[no-untyped-def]
    """Loads and validates the data folder once, builds the pipeline with it, and logs what was loaded."""
    from processors.extract import Extractor
    from processors.nlp import build_pipeline, settle_heap
    from processors.resources import describe, load_resources

    resources = load_resources(settings.extraction.data_dir)
    log.info("resources loaded", extra=describe(resources))
    nlp = build_pipeline(settings.extraction.spacy_model, resources)
    extractor = Extractor(nlp, resources, batch_size=settings.extraction.nlp_batch_size)
    settle_heap()
    return extractor


def _line_records(handle: IO[str]) -> Iterator[Record]:
    for number, line in enumerate(handle, start=1):
        if line.strip():
            yield Record(topic="-", partition=0, offset=number, key=None, value=line.encode("utf-8"))


def _line_document(record: Record) -> Document:
    from processors.documents import from_json_line

    try:
        return from_json_line(record.value.decode("utf-8") if record.value else "")
    except PermanentError as exc:
        raise DeadLetter("invalid_line", str(exc), type(exc).__name__) from exc


def _row_message(document: Document, outcome: Outcome) -> list[Message]:
    row: dict[str, object] = {"id": document.id, "incidents": [i.model_dump(mode="json") for i in outcome.incidents]}
    if document.duplicate_of:
        row["duplicate_of"] = document.duplicate_of
    return [Message(key=document.id.encode(), value=json.dumps(row, ensure_ascii=False).encode("utf-8"))]


def _error_row(result: Result) -> dict[str, object]:
    line = result.record.value.decode("utf-8", "replace") if result.record.value else ""
    return {"id": _guess_id(line), "incidents": [], "error": str(result.dead)}


def cmd_extract(args: argparse.Namespace, settings: ProcessorSettings) -> int:
    """JSONL in -> JSONL out, same order; a bad line yields {"id", "incidents": [], "error"} and a log line."""
    from processors.loop import JsonlSink, run_offline
    from processors.worker import ExtractionTransform

    transform = ExtractionTransform(_extractor(settings), decode=_line_document, encode=_row_message)
    with _open(args.input, "r", sys.stdin) as source, _open(args.output, "w", sys.stdout) as sink:
        run_offline(_line_records(source), transform, JsonlSink(sink, _error_row), settings.extraction.nlp_batch_size)
    return 0


def _guess_id(line: str) -> object:
    try:
        value = json.loads(line)
        return value.get("id") if isinstance(value, dict) else None
    except json.JSONDecodeError:
        return None


def cmd_eval(args: argparse.Namespace, settings: ProcessorSettings) -> int:
    from processors.documents import parse_published
    from processors.evaluate import format_news_report, format_report, is_news, score, score_news
    from processors.extract import Document

    records = [json.loads(line) for line in Path(args.gold).read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = [
        Document(id=r["id"], text=r["text"], title=r.get("title") or "", published=parse_published(r.get("published")))
        for r in records
    ]
    predictions = [o.incidents for o in _extractor(settings).extract_batch(docs)]
    news = [i for i, r in enumerate(records) if is_news(r)]
    notes = [i for i, r in enumerate(records) if not is_news(r)]
    print(f"gold: {args.gold} ({len(records)} documents)")
    errors: list[dict[str, object]] = []
    summary: dict[str, object] = {}
    if notes:
        report = score([records[i] for i in notes], [predictions[i] for i in notes])
        if news:
            print(f"ACLED-style notes ({len(notes)}):")
        print(format_report(report))
        errors += report.errors
        summary.update(report.summary())
    if news:
        news_report = score_news([records[i] for i in news], [predictions[i] for i in news])
        print(f"news articles, UCDP gold ({len(news)}):")
        print(format_news_report(news_report))
        errors += news_report.errors
        summary.update({("news_" + k if notes else k): v for k, v in news_report.summary().items()})
    if args.errors:
        Path(args.errors).write_text(
            "\n".join(json.dumps(e, ensure_ascii=False, default=str) for e in errors) + "\n", encoding="utf-8"
        )
    if args.json:
        print(json.dumps(summary))
    return 0


def _run_stage(name: str, settings: ProcessorSettings, loop_settings: Any, registry: Any, port: int,
               loop_metrics: Any, transform: Any, sink: Any = None, compacted: Sequence[str] = (),
               after_commit: Any = None, hooks: Any = None) -> int:  # fmt: skip
    """The wiring every stream stage shares: metrics endpoint, topics, the group consumer, the sink (a Kafka topic
    unless given), the loop; SIGTERM finishes the batch, commits and leaves the group."""
    import signal

    from prometheus_client import start_http_server

    from ingest.contract import topics
    from ingest.contract.broker import ensure_topics, make_consumer, make_producer
    from processors.loop import KafkaSink, StreamLoop, rebalance_listener

    if port:
        start_http_server(port, addr=settings.metrics.metrics_host, registry=registry)
    bootstrap = settings.kafka_bootstrap_servers
    if loop_settings.create_topics:
        wanted = [loop_settings.input_topic, loop_settings.output_topic, loop_settings.dead_letter_topic,
                  loop_settings.snapshot_topic]  # fmt: skip
        ensure_topics(bootstrap, {n: topics.DEFAULT_PARTITIONS.get(n, 3) for n in wanted if n}, compacted=compacted)
    holder: list[StreamLoop] = []
    consumer = make_consumer(bootstrap, loop_settings.group_id, [loop_settings.input_topic],
                             listener=rebalance_listener(lambda: holder[0] if holder else None),
                             max_poll_records=loop_settings.max_batch_records)  # fmt: skip
    if sink is None:
        sink = KafkaSink(make_producer(bootstrap, client_id=f"{loop_settings.group_id}-producer"),
                         loop_settings.output_topic, loop_settings.dead_letter_topic,
                         loop_settings.publish_timeout_seconds)  # fmt: skip
    on_assigned, on_revoked = hooks(bootstrap, consumer) if hooks else (None, None)
    loop = StreamLoop(consumer, sink, transform, loop_metrics, loop_settings, after_commit=after_commit,
                      on_assigned=on_assigned, on_revoked=on_revoked)  # fmt: skip
    holder.append(loop)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: loop.stop())
    log.info(f"{name} started",
             extra={"group": loop_settings.group_id, "topic": loop_settings.input_topic, "metrics_port": port})  # fmt: skip
    loop.run()
    return 0


def cmd_worker(args: argparse.Namespace, settings: ProcessorSettings) -> int:
    """Consume articles in the group, publish incidents and snapshots."""
    from processors.extract import REASONS
    from processors.metrics import ProcessorMetrics
    from processors.worker import ExtractionTransform, count_outcomes, incident_messages, with_snapshot, withdrawal

    extractor = _extractor(settings)  # loads the model and data before joining the group
    metrics = ProcessorMetrics.create(reasons=REASONS)
    port = args.metrics_port if args.metrics_port is not None else settings.metrics.metrics_port
    region = settings.loop.region_key or extractor.resources.lexicon.region
    snapshots = settings.loop.snapshot_topic
    transform = ExtractionTransform(
        extractor, metrics.loop,
        encode=with_snapshot(snapshots, region) if snapshots else incident_messages,
        on_tombstone=withdrawal(snapshots, region) if snapshots else None,
    )  # fmt: skip
    return _run_stage("worker", settings, settings.loop, metrics.registry, port, metrics.loop, transform,
                      compacted=[snapshots], after_commit=count_outcomes(metrics))  # fmt: skip


def _merge_rules(settings: ProcessorSettings):  # type: ignore[no-untyped-def]
    from processors.consolidate import MergeRules
    from processors.resources import load_resources

    resources = load_resources(settings.extraction.data_dir)
    merge = settings.merge
    rules = MergeRules(window_days=merge.window_days, date_slack_days=merge.date_slack_days, place_km=merge.place_km,
                       generic_rules=resources.rules.generic_ids, government_camp=resources.government_camp,
                       armed=frozenset(a.name for a in resources.actors if a.side != "civilian"))  # fmt: skip
    return rules, resources.lexicon.region


def cmd_events(args: argparse.Namespace, settings: ProcessorSettings) -> int:
    """Snapshots -> events. With --input: offline over `extract` output; else the consolidation service."""

    from processors.event_stage import run_offline_events

    rules, region = _merge_rules(settings)
    if args.input is not None:
        with _open(args.input, "r", sys.stdin) as source, _open(args.output, "w", sys.stdout) as out:
            counts = run_offline_events(source, out, rules, region)
        log.info("events written", extra=counts)
        return 0
    from processors.event_stage import EventsTransform, drop_on_revocation, rebuild_on_assignment
    from processors.metrics import EventsMetrics

    metrics = EventsMetrics.create()
    port = args.metrics_port if args.metrics_port is not None else settings.merge.metrics_port
    loop_settings = settings.events_loop
    transform = EventsTransform(rules, metrics)

    def hooks(bootstrap: str, consumer: Any) -> tuple[Any, Any]:
        return rebuild_on_assignment(bootstrap, consumer, transform), drop_on_revocation(transform)

    return _run_stage("events stage", settings, loop_settings, metrics.registry, port, metrics.loop, transform,
                      compacted=[loop_settings.input_topic, loop_settings.output_topic],
                      after_commit=transform.after_commit, hooks=hooks)  # fmt: skip


def cmd_sink(args: argparse.Namespace, settings: ProcessorSettings) -> int:
    """Events -> PostgreSQL (DATABASE_URL). With --input: an `events` output file; else the sink service."""

    from processors.sink import DatabaseSink, count_watches, decode_events

    if not settings.database_url:
        raise ConfigurationError("the sink needs DATABASE_URL (postgresql://...)")
    if args.input is not None:
        from processors.loop import run_offline
        from processors.records import Record

        sink = DatabaseSink(settings.database_url)
        with _open(args.input, "r", sys.stdin) as source:
            lines = (Record("-", 0, n, None, line.encode()) for n, line in enumerate(source, start=1) if line.strip())
            count = run_offline(lines, decode_events, sink, 500)
        sink.close()
        log.info("events stored", extra={"records": count})
        return 0
    from prometheus_client import CollectorRegistry

    from processors.metrics import sink_metrics, watch_counter

    registry = CollectorRegistry()
    metrics = sink_metrics(registry)
    loop_settings = settings.sink_loop
    port = args.metrics_port if args.metrics_port is not None else loop_settings.metrics_port
    watches: tuple[Any, ...] = ()
    if loop_settings.watches_file:
        from processors.resources import load_resources
        from processors.watches import load_watches

        watches = load_watches(loop_settings.watches_file, load_resources(settings.extraction.data_dir).gazetteer)
    counter = watch_counter(registry, [w.name for w in watches])
    sink = DatabaseSink(settings.database_url)  # applies the migrations before joining the group
    return _run_stage("sink", settings, loop_settings, registry, port, metrics, decode_events, sink=sink,
                      compacted=[loop_settings.input_topic], after_commit=count_watches(watches, counter))  # fmt: skip


def cmd_export(args: argparse.Namespace, settings: ProcessorSettings) -> int:
    """Events (an `events` output file) -> ACLED-style CSV, GeoJSON or JSON lines; active events unless --all."""
    from ingest.contract import Event
    from processors.export import render, selected

    if args.input is None and settings.database_url:
        from processors import db

        with db.connect(settings.database_url) as conn:
            events = db.load_events(conn, include_retracted=args.all)
        with _open(args.output, "w", sys.stdout) as out:
            out.write(render(selected(events, include_retracted=args.all), args.format))
        return 0
    if args.input is None:
        raise ConfigurationError("export reads --input EVENTS.jsonl (- for stdin) or the database at DATABASE_URL")
    events = []
    with _open(args.input, "r", sys.stdin) as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                events.append(Event.model_validate_json(line))
            except ValidationError as exc:
                log.warning("bad input line", extra={"line": number, "reason": str(exc.errors()[0].get("msg"))})
    with _open(args.output, "w", sys.stdout) as out:
        out.write(render(selected(events, include_retracted=args.all), args.format))
    return 0


def cmd_backfill(args: argparse.Namespace, settings: ProcessorSettings) -> int:
    """Re-run extraction over the articles published in [--since, --until) in a consumer group of its own."""
    import signal

    from processors.backfill import run_backfill
    from processors.documents import parse_published

    since = parse_published(args.since)
    until = parse_published(args.until) if args.until else None
    assert since is not None
    group = args.group or f"idlib-backfill-{since:%Y%m%dT%H%M}"
    loop_settings = settings.loop
    if loop_settings.create_topics:
        from ingest.contract import topics
        from ingest.contract.broker import ensure_topics

        wanted = [loop_settings.output_topic, loop_settings.dead_letter_topic, loop_settings.snapshot_topic]
        ensure_topics(settings.kafka_bootstrap_servers, {n: topics.DEFAULT_PARTITIONS.get(n, 3) for n in wanted if n},
                      compacted=[loop_settings.snapshot_topic])  # fmt: skip
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    done = run_backfill(settings.kafka_bootstrap_servers, _extractor(settings), settings.loop, since, until, group,
                        progress=not args.no_progress)  # fmt: skip
    print(f"backfill {group}: {done} articles", file=sys.stderr)
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
    topic = settings.events_loop.output_topic if args.events else settings.loop.output_topic
    try:
        follow(consumer, topic, sys.stdout, args.json, args.from_beginning, args.max, args.idle_timeout,
               lambda: stopping, events=args.events)  # fmt: skip
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
    p.add_argument("--events", action="store_true", help="follow the events topic (one record per event)")
    p.add_argument("--from-beginning", action="store_true", help="start at the oldest incident, not the newest")
    p.add_argument("--max", type=int, default=None, help="stop after this many incidents")
    p.add_argument("--idle-timeout", type=float, default=None, help="stop after this many seconds without one")
    p = sub.add_parser("extract", help="JSONL texts in -> JSONL incidents out (no Kafka)")
    p.add_argument("--input", "-i", default=None, help="input file (default stdin)")
    p.add_argument("--output", "-o", default=None, help="output file (default stdout)")
    p = sub.add_parser("events", help="merge article snapshots into events (a service, or offline with --input)")
    p.add_argument("--input", "-i", default=None, help="offline: `extract` output JSONL (- for stdin)")
    p.add_argument("--output", "-o", default=None, help="offline: events JSONL (default stdout)")
    p.add_argument("--metrics-port", type=int, default=None, help="Prometheus port (PROCESSOR_EVENTS_METRICS_PORT)")
    p = sub.add_parser("sink", help="events -> PostgreSQL (DATABASE_URL): a service, or offline with --input")
    p.add_argument("--input", "-i", default=None, help="offline: an `events` output file (- for stdin)")
    p.add_argument("--metrics-port", type=int, default=None, help="Prometheus port (PROCESSOR_SINK_METRICS_PORT)")
    p = sub.add_parser("backfill", help="re-run extraction over the articles of a time range (replays the topic)")
    p.add_argument("--since", required=True, help="first publication time to replay (ISO 8601 or a date)")
    p.add_argument("--until", default=None, help="stop before this time (default: the end of the topic now)")
    p.add_argument("--group", default=None, help="consumer group (default idlib-backfill-<since>); reuse it to resume")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p = sub.add_parser("export", help="events -> ACLED-style CSV, GeoJSON or JSON lines")
    p.add_argument("--format", choices=["acled-csv", "geojson", "jsonl"], default="acled-csv")
    p.add_argument("--input", "-i", default=None, help="an `events` output file (- for stdin)")
    p.add_argument("--output", "-o", default=None, help="output file (default stdout)")
    p.add_argument("--all", action="store_true", help="include retracted events")
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
    data_on_stdout = (
        args.command in ("extract", "events", "export")
        and getattr(args, "output", None) in (None, "-")
        and (args.command != "events" or args.input is not None)
    )
    jsonlog.configure(settings.log_level, sys.stderr if data_on_stdout else None)
    handlers = {"extract": cmd_extract, "eval": cmd_eval, "worker": cmd_worker, "tail": cmd_tail, "events": cmd_events,
                "export": cmd_export, "sink": cmd_sink, "backfill": cmd_backfill}  # fmt: skip
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
