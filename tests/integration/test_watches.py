"""A place watch on the real stack: events on the broker -> the sink -> PostgreSQL, and the WatchedPlaceEvent alert
fires in a real Prometheus that scrapes the sink."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from deploy.local.stack import stop_processes
from ingest.contract.broker import ensure_topics, make_producer
from tests.conftest import REPO
from tests.integration.test_deploy import get_json, query, wait_for
from tests.integration.test_sink import _history, _rows
from tests.support.kafka import free_port

DEPLOY = REPO / "deploy"


def test_watch_alert_fires_in_prometheus(kafka_bootstrap: str, unique: str, database_url: str, tmp_path: Path) -> None:
    prometheus_bin = shutil.which("prometheus")
    assert prometheus_bin, "prometheus not installed (make test installs the Debian package)"
    topic = f"events-{unique}"
    ensure_topics(kafka_bootstrap, {topic: 1}, compacted=[topic])
    watches = tmp_path / "watches.yaml"
    watches.write_text("watches:\n  - {name: Ariha, place: Ariha, radius_km: 8}\n"
                       "  - {name: Sarmada, place: Sarmada, radius_km: 5}\n", encoding="utf-8")  # fmt: skip
    sink_port, prom_port = free_port(), free_port()
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "DATABASE_URL": database_url,
           "PROCESSOR_SINK_INPUT_TOPIC": topic, "PROCESSOR_SINK_GROUP_ID": f"sink-{unique}",
           "PROCESSOR_SINK_METRICS_PORT": str(sink_port), "PROCESSOR_SINK_WATCHES_FILE": str(watches),
           "PROCESSOR_SINK_MAX_BATCH_SECONDS": "0.3"}  # fmt: skip
    config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
              "rule_files": [str(DEPLOY / "prometheus" / "alerts.yml")],
              "scrape_configs": [{"job_name": "idlib-sink",
                                  "static_configs": [{"targets": [f"127.0.0.1:{sink_port}"]}]}]}  # fmt: skip
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with (tmp_path / "sink.log").open("ab") as log:
            procs.append(subprocess.Popen([sys.executable, "-m", "processors", "sink"], env=env, cwd=REPO,
                                          stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
        with (tmp_path / "prometheus.log").open("ab") as log:
            procs.append(subprocess.Popen([prometheus_bin, f"--config.file={tmp_path / 'prometheus.yml'}",
                                           f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                           f"--web.listen-address=127.0.0.1:{prom_port}"],
                                          stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
        prom = f"http://127.0.0.1:{prom_port}"
        wait_for(lambda: any(t["health"] == "up" for t in get_json(f"{prom}/api/v1/targets")["data"]["activeTargets"]),
                 120, "the sink scraped")  # fmt: skip
        wait_for(lambda: query(prom, "idlib_watch_events_total")["data"]["result"], 30, "watch series exported")
        assert {s["metric"]["watch"] for s in query(prom, "idlib_watch_events_total")["data"]["result"]} == {
            "Ariha", "Sarmada"}  # fmt: skip
        producer = make_producer(kafka_bootstrap, "test-watch")
        for event in _history():
            producer.send(topic, key=event.event_id.encode(), value=event.model_dump_json().encode())
        producer.flush(timeout=30)
        producer.close()
        wait_for(lambda: len(_rows(database_url)) == 2, 60, "events stored")

        def firing() -> set[str]:
            alerts = get_json(f"{prom}/api/v1/alerts")["data"]["alerts"]
            return {a["labels"]["watch"] for a in alerts if a["labels"]["alertname"] == "WatchedPlaceEvent"
                    and a["state"] == "firing"}  # fmt: skip

        wait_for(lambda: firing() == {"Ariha"}, 90, "the Ariha watch alert firing")
        assert firing() == {"Ariha"}  # the Binnish event is 17 km away: neither watch
    finally:
        stop_processes(procs)
