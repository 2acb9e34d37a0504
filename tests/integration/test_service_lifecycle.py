"""Process-level behaviour: bad configuration exits 2 before anything runs; SIGTERM stops the ingest service with 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ingest.contract.broker import ensure_topics
from tests.conftest import REPO
from tests.integration.test_ingest_kafka import consume_articles, seed_site  # noqa: F401 - fixture
from tests.support.httpserver import LocalServer


def test_bad_configuration_exits_2(tmp_path: Path) -> None:
    bad_feeds = tmp_path / "feeds.yaml"
    bad_feeds.write_text("feeds: []\n", encoding="utf-8")
    ingest = subprocess.run([sys.executable, "-m", "ingest", "--once", "--feeds", str(bad_feeds)], cwd=REPO,
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert ingest.returncode == 2 and "bad configuration" in ingest.stderr
    worker = subprocess.run([sys.executable, "-m", "processors", "worker"], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "PROCESSOR_SPACY_MODEL": str(tmp_path / "no-model")},
                            timeout=60, check=False)  # fmt: skip
    assert worker.returncode == 2 and "no meta.json" in worker.stderr


def test_sigterm_stops_ingest_cleanly(kafka_bootstrap: str, unique: str, seed_site: LocalServer,  # noqa: F811
                                      tmp_path: Path) -> None:  # fmt: skip
    topic = f"articles-{unique}"
    ensure_topics(kafka_bootstrap, {topic: 3})  # before subscribing: a consumer refreshes metadata only every 5 min
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - {{id: seeds, url: '{seed_site.url('/feed.xml')}', source_name: Seeds, "
                     "poll_interval_seconds: 600}\n")  # fmt: skip
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "INGEST_TOPIC": topic,
           "INGEST_ALLOW_NETWORKS": "127.0.0.1/32", "INGEST_MIN_HOST_DELAY_SECONDS": "0",
           "INGEST_SEEN_DB_PATH": str(tmp_path / "seen.db"), "INGEST_METRICS_PORT": "0"}  # fmt: skip
    with subprocess.Popen([sys.executable, "-m", "ingest", "--feeds", str(feeds)], env=env, cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as proc:  # fmt: skip
        try:
            assert len(consume_articles(kafka_bootstrap, topic, 2)) == 2  # it is up and has published
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=30)
            assert proc.returncode == 0
            assert time.monotonic() - started < 30
            assert b'"ingest stopped"' in output
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)
