"""The deploy files checked with real tools: Compose schema, hadolint, promtool, and metric names."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

from ingest.metrics import IngestMetrics
from processors.metrics import EventsMetrics, ProcessorMetrics, sink_metrics, watch_counter
from tests.conftest import REPO

DEPLOY = REPO / "deploy"
COMPOSE_SCHEMA = REPO.parent / "shared" / "schemas" / "compose-spec.json"


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} not installed (make test installs it)"
    return found


def test_compose_validates_against_the_compose_specification() -> None:
    assert COMPOSE_SCHEMA.exists(), f"{COMPOSE_SCHEMA} missing: the shared folder must sit beside the clone"
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(compose)  # the spec declares draft-07
    services = compose["services"]
    assert services["processor"]["deploy"]["replicas"] == 2
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert {"kafka", "kafka-init", "ingest", "processor", "events", "prometheus", "grafana"} <= set(services)
    cluster_id = re.search(r":-([^}]+)}", services["kafka"]["environment"]["CLUSTER_ID"])
    assert cluster_id and re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id.group(1)), "KRaft needs a base64 UUID"


def test_hadolint_passes() -> None:
    result = subprocess.run([tool("hadolint"), str(DEPLOY / "Dockerfile")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_checks_config_and_rules() -> None:
    promtool = tool("promtool")
    config = subprocess.run([promtool, "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")],
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert config.returncode == 0, config.stdout + config.stderr
    rules = subprocess.run([promtool, "check", "rules", str(DEPLOY / "prometheus" / "alerts.yml")],
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert rules.returncode == 0 and "6 rules found" in rules.stdout, rules.stdout + rules.stderr


def test_promtool_rule_tests_fire_the_watch_alert_only_while_events_arrive() -> None:
    result = subprocess.run([tool("promtool"), "test", "rules", str(DEPLOY / "prometheus" / "alerts_test.yml")],
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


def test_dashboard_json_is_generated_and_current() -> None:
    sys.path.insert(0, str(DEPLOY / "grafana"))
    import dashboard  # type: ignore[import-not-found]

    committed = (DEPLOY / "grafana" / "dashboards" / "idlib-incident-stream.json").read_text(encoding="utf-8")
    assert committed == dashboard.render(), "run: python deploy/grafana/dashboard.py"


def exported_names() -> set[str]:
    names = {"up"}
    sink = sink_metrics()
    watch_counter(sink.registry, ["x"])
    for registry in (
        IngestMetrics.create(feed_ids=["x"]).registry,
        ProcessorMetrics.create().registry,
        EventsMetrics.create().registry,
        sink.registry,
    ):
        for family in registry.collect():
            names.add(family.name)  # labelled gauges have no samples until first set
            names.update(sample.name for sample in family.samples)
    return names


def expressions() -> list[str]:
    board = json.loads((DEPLOY / "grafana" / "dashboards" / "idlib-incident-stream.json").read_text(encoding="utf-8"))
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))
    return [t["expr"] for p in board["panels"] for t in p["targets"]] + [
        r["expr"] for g in rules["groups"] for r in g["rules"]
    ]


def test_every_query_uses_exported_metric_names() -> None:
    names = exported_names()
    used = {m for expr in expressions() for m in re.findall(r"\b(idlib_[a-z_]+)\b", expr)}
    assert used and used <= names, sorted(used - names)
