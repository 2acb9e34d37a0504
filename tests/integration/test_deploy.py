"""The demo pipeline started exactly as the image starts it, scraped by a real Prometheus; every dashboard panel
and alert expression evaluated through Prometheus' HTTP API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.local.stack import serve_seeds, stop_processes
from ingest.contract import topics
from ingest.contract.broker import ensure_topics
from tests.conftest import REPO
from tests.integration.test_worker import read_all
from tests.support.kafka import free_port

DEPLOY = REPO / "deploy"
ENTRYPOINT = DEPLOY / "docker-entrypoint.sh"


def compose_service(name: str) -> dict[str, Any]:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    service: dict[str, Any] = compose["services"][name]
    return service


def image_env() -> dict[str, str]:
    """The ENV lines of the Dockerfile's runtime stage."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").split("AS runtime", 1)[1]
    block = text.split("ENV ", 1)[1].split("\nRUN", 1)[0]
    pairs = [p.strip(" \\\n") for p in block.replace("\\\n", "\n").split()]
    return dict(p.split("=", 1) for p in pairs if "=" in p)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def query(prom: str, expr: str) -> dict[str, Any]:
    try:
        return get_json(f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))  # type: ignore[no-any-return]
    except urllib.error.HTTPError as exc:  # 400 carries the parse error as JSON
        return json.loads(exc.read())  # type: ignore[no-any-return]


def wait_for(predicate: Any, timeout_seconds: float, what: str) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    stop_processes(procs)


def test_demo_pipeline_observed_by_prometheus(kafka_bootstrap: str, tmp_path: Path,
                                              processes: list[subprocess.Popen[bytes]]) -> None:  # fmt: skip
    prometheus_bin = shutil.which("prometheus")
    assert prometheus_bin, "prometheus not installed (make test installs the Debian package)"
    ensure_topics(kafka_bootstrap, dict(topics.DEFAULT_PARTITIONS), compacted=topics.COMPACTED)  # kafka-init
    http, base = serve_seeds()
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - {{id: seeds, url: '{base}/feed.xml', source_name: Seeds, "
                     "poll_interval_seconds: 30}\n")  # fmt: skip
    venv_bin = str(Path(sys.executable).parent)
    common = {**os.environ, **image_env(), "PATH": f"{venv_bin}:{os.environ['PATH']}"}
    common["PROCESSOR_SPACY_MODEL"] = os.environ.get(
        "PROCESSOR_SPACY_MODEL", "en_core_web_sm"
    )  # /opt/model in the image
    ports: dict[str, int] = {}
    try:
        for replica in (1, 2):  # two processor replicas, each with its own metrics port on this one host
            service = compose_service("processor")
            port = free_port()
            env = {**common, **service["environment"], "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                   "PROCESSOR_METRICS_PORT": str(port), "HEALTHCHECK_PORT": str(port)}  # fmt: skip
            with (tmp_path / f"processor-{replica}.log").open("ab") as log:
                processes.append(subprocess.Popen([str(ENTRYPOINT), *service["command"]], env=env, cwd=tmp_path,
                                                  stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
            ports[f"processor-{replica}"] = port
        events_service = compose_service("events")
        ports["events"] = free_port()
        events_env = {**common, **events_service["environment"], "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                      "PROCESSOR_EVENTS_METRICS_PORT": str(ports["events"]), "HEALTHCHECK_PORT": str(ports["events"])}  # fmt: skip
        with (tmp_path / "events.log").open("ab") as log:
            processes.append(subprocess.Popen([str(ENTRYPOINT), *events_service["command"]], env=events_env,
                                              cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
        ingest_service = compose_service("ingest")
        ports["ingest"] = free_port()
        ingest_env = {**common, **ingest_service["environment"], "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                      "INGEST_FEEDS_FILE": str(feeds), "INGEST_SEEN_DB_PATH": str(tmp_path / "seen.sqlite3"),
                      "INGEST_METRICS_PORT": str(ports["ingest"]), "HEALTHCHECK_PORT": str(ports["ingest"]),
                      "INGEST_ALLOW_NETWORKS": "127.0.0.1/32", "INGEST_MIN_HOST_DELAY_SECONDS": "0"}  # fmt: skip

        config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
        config["global"]["scrape_interval"] = "1s"
        config["global"]["evaluation_interval"] = "1s"
        config["rule_files"] = [str(DEPLOY / "prometheus" / "alerts.yml")]
        # the sink and its database are observed by Prometheus in test_watches.py
        config["scrape_configs"] = [j for j in config["scrape_configs"] if j["job_name"] != "idlib-sink"]
        for job in config["scrape_configs"]:
            job.pop("dns_sd_configs", None)
            names = {"idlib-ingest": ["ingest"], "idlib-events": ["events"]}.get(job["job_name"],
                                                                                ["processor-1", "processor-2"])  # fmt: skip
            job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[n]}" for n in names]}]
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        prom_port = free_port()
        prom = f"http://127.0.0.1:{prom_port}"
        with (tmp_path / "prometheus.log").open("ab") as log:
            processes.append(subprocess.Popen([prometheus_bin, f"--config.file={tmp_path / 'prometheus.yml'}",
                                               f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                               f"--web.listen-address=127.0.0.1:{prom_port}"],
                                              stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
        wait_for(lambda: len([t for t in get_json(f"{prom}/api/v1/targets")["data"]["activeTargets"]
                              if t["health"] == "up"]) == 3, 120, "both workers and the events stage scraped")  # fmt: skip
        with (tmp_path / "ingest.log").open("ab") as log:
            processes.append(subprocess.Popen([str(ENTRYPOINT), *ingest_service["command"]], env=ingest_env,
                                              cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
        incidents = read_all(kafka_bootstrap, topics.INCIDENTS, lambda rs: len({r.key for r in rs}) >= 3, 180)
        dates = {json.loads(r.value)["date"] for r in incidents}
        assert {"2020-08-25", "2020-08-17", "2020-07-14"} <= dates
        wait_for(lambda: query(prom, "sum(idlib_processor_incidents_total)")["data"]["result"][0]["value"][1] != "0",
                 60, "incidents counted by Prometheus")  # fmt: skip
        time.sleep(3)  # a few more scrapes so rates see the change
        assert all(s["value"][1] == "1" for s in query(prom, "up")["data"]["result"])

        board = json.loads((DEPLOY / "grafana" / "dashboards" / "idlib-incident-stream.json").read_text())
        rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
        empty = []
        for panel in board["panels"]:
            for target in panel["targets"]:
                answer = query(prom, target["expr"])
                assert answer["status"] == "success", (panel["title"], target["expr"], answer)
                if not answer["data"]["result"]:
                    empty.append(panel["title"])
        assert empty == [], f"panels without data: {empty}"
        for group in rules["groups"]:
            for rule in group["rules"]:
                answer = query(prom, rule["expr"])
                assert answer["status"] == "success", (rule["alert"], answer)
        loaded = get_json(f"{prom}/api/v1/rules")["data"]["groups"][0]["rules"]
        assert {r["name"] for r in loaded} == {r["alert"] for g in rules["groups"] for r in g["rules"]}
        assert all(r["health"] == "ok" for r in loaded)
    finally:
        http.shutdown()
