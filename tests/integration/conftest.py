"""One real Apache Kafka broker per test session, started by the project's own script; uuid topics per test."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "deploy" / "kafka" / "local_kafka.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state: Path = tmp_path_factory.mktemp("kafka-state")
    started = subprocess.run(
        [sys.executable, str(SCRIPT), "start", "--state", str(state)],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    if started.returncode != 0:
        raise RuntimeError(f"local Kafka did not start:\n{started.stdout}\n{started.stderr}")
    bootstrap = started.stdout.strip().splitlines()[-1]
    try:
        yield bootstrap
    finally:
        subprocess.run([sys.executable, str(SCRIPT), "stop", "--state", str(state)], check=False, timeout=120)


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]
