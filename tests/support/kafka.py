"""Helpers shared by integration tests and benchmarks: free loopback ports and a broker for a script's run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "kafka" / "local_kafka.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def broker_for_run() -> Iterator[str]:
    """KAFKA_BOOTSTRAP_SERVERS when set, else a local Apache Kafka started for this run and stopped after it."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield configured
        return
    state = Path(tempfile.mkdtemp(prefix="bench-kafka-"))
    started = subprocess.run([sys.executable, str(SCRIPT), "start", "--state", str(state)],
                             capture_output=True, text=True, check=True)  # fmt: skip
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([sys.executable, str(SCRIPT), "stop", "--state", str(state)], check=False)
