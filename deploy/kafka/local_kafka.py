#!/usr/bin/env python3
"""Runs a real single-node Apache Kafka broker (KRaft) on loopback, with no Docker.

Sub-commands (all idempotent):
  fetch   resolve the broker's jars from Maven Central with `mvn` into a git-ignored cache folder
  start   fetch, write server.properties, format storage once, start the broker, wait until a client can talk
  stop    stop the broker this script started, by the PID it recorded (never by process name)
  status  print the bootstrap address of a running broker, exit 1 when none runs
  run     start, print the address, and stop on Ctrl-C / SIGTERM

Only the standard library is needed, except for the readiness check, which uses kafka-python when it is
importable (the project's virtualenv) and a plain TCP connect otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
POM = HERE / "pom.xml"
DEFAULT_CACHE = REPO / ".cache" / "kafka"
DEFAULT_STATE = DEFAULT_CACHE / "state"

LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = {level}
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = {level}
logger.apache.name = org.apache.kafka
logger.apache.level = {level}
"""


def kafka_version() -> str:
    text = POM.read_text(encoding="utf-8")
    start = text.index("<kafka.version>") + len("<kafka.version>")
    return text[start : text.index("</kafka.version>")]


def jars_dir(cache: Path) -> Path:
    return cache / f"jars-{kafka_version()}"


def fetch(cache: Path) -> Path:
    """Resolve kafka_2.13 and its runtime dependencies into cache/jars-<version> (once)."""
    target = jars_dir(cache)
    marker = target / ".complete"
    if marker.exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    print(f"local-kafka: resolving Apache Kafka {kafka_version()} from Maven Central into {target}", flush=True)
    cmd = [
        "mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
        f"-DoutputDirectory={target}", "-DincludeScope=runtime",
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"local-kafka: mvn could not resolve the broker (exit {result.returncode})")
    marker.write_text(kafka_version(), encoding="utf-8")
    return target


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_properties(state: Path, port: int, controller_port: int) -> str:
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(state / "data"),
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "3",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
        "log.retention.hours": "168",
    }
    return "".join(f"{key}={value}\n" for key, value in props.items())


def _java(jars: Path, state: Path, *args: str, heap: str = "-Xmx128m") -> list[str]:
    return [
        "java", heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        f"-Dlog4j2.configurationFile={state / 'log4j2.properties'}",
        "-cp", f"{jars}/*", *args,
    ]  # fmt: skip


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def running_pid(state: Path) -> int | None:
    """The PID in state/kafka.pid when that process is alive and is our broker (guards against PID reuse)."""
    text = _read(state / "kafka.pid")
    if not text:
        return None
    pid = int(text)
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except FileNotFoundError:
        return None
    if "kafka.Kafka" in cmdline and str(state / "server.properties") in cmdline:
        return pid
    return None


def client_can_talk(bootstrap: str, timeout_seconds: float = 2.0) -> bool:
    host, port = bootstrap.rsplit(":", 1)
    try:
        from kafka import KafkaAdminClient
    except ImportError:
        try:
            with socket.create_connection((host, int(port)), timeout=timeout_seconds):
                return True
        except OSError:
            return False
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_seconds * 1000),
            client_id="local-kafka-probe",
        )  # fmt: skip
    except Exception:
        return False
    try:
        admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        admin.close()


def start(cache: Path, state: Path, port: int | None, wait_seconds: float) -> str:
    """Start the broker unless one started from this state folder is already up; return its address."""
    pid = running_pid(state)
    bootstrap = _read(state / "bootstrap")
    if pid and bootstrap:
        if wait_until_ready(bootstrap, pid, wait_seconds):
            return bootstrap
        raise SystemExit(f"local-kafka: broker pid {pid} runs but does not answer on {bootstrap}")
    jars = fetch(cache)
    state.mkdir(parents=True, exist_ok=True)
    props_path = state / "server.properties"
    if not (state / "data" / "meta.properties").exists():
        broker_port = port or free_port()
        props_path.write_text(server_properties(state, broker_port, free_port()), encoding="utf-8")
    else:  # keep the ports the storage was formatted with, unless the broker port is taken now
        broker_port = int(_read(state / "bootstrap").rsplit(":", 1)[1])  # type: ignore[union-attr]
    (state / "log4j2.properties").write_text(
        LOG4J2.format(log=state / "server.log", level=os.environ.get("KAFKA_LOG_LEVEL", "INFO")),
        encoding="utf-8",
    )
    if not (state / "data" / "meta.properties").exists():
        cluster_id = subprocess.run(
            _java(jars, state, "kafka.tools.StorageTool", "random-uuid"),
            capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        fmt = subprocess.run(
            _java(jars, state, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props_path)),
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if fmt.returncode != 0:
            raise SystemExit(f"local-kafka: storage format failed:\n{fmt.stdout}{fmt.stderr}")
    bootstrap = f"127.0.0.1:{broker_port}"
    (state / "bootstrap").write_text(bootstrap, encoding="utf-8")
    heap = os.environ.get("KAFKA_HEAP", "-Xmx512m")
    with open(state / "stdout.log", "ab") as out:
        proc = subprocess.Popen(
            _java(jars, state, "kafka.Kafka", str(props_path), heap=heap),
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    (state / "kafka.pid").write_text(str(proc.pid), encoding="utf-8")
    if not wait_until_ready(bootstrap, proc.pid, wait_seconds):
        tail = (state / "server.log").read_text(errors="replace")[-3000:] if (state / "server.log").exists() else ""
        stop(state)
        raise SystemExit(f"local-kafka: broker did not become ready on {bootstrap}\n{tail}")
    return bootstrap


def wait_until_ready(bootstrap: str, pid: int, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return False
        if client_can_talk(bootstrap):
            return True
        time.sleep(0.25)
    return False


def stop(state: Path, grace_seconds: float = 30.0) -> bool:
    """SIGTERM the broker we started (controlled shutdown), SIGKILL after the grace period."""
    pid = running_pid(state)
    if pid is None:
        (state / "kafka.pid").unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and running_pid(state) == pid:
        _reap(pid)
        time.sleep(0.1)
    if running_pid(state) == pid:
        os.kill(pid, signal.SIGKILL)
        _reap(pid)
    (state / "kafka.pid").unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["fetch", "start", "stop", "status", "run", "version"])
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("KAFKA_CACHE_DIR", DEFAULT_CACHE)))
    parser.add_argument("--state", type=Path, default=Path(os.environ.get("KAFKA_STATE_DIR", DEFAULT_STATE)))
    parser.add_argument("--port", type=int, default=None, help="broker port (default: a free one)")
    parser.add_argument("--wait-seconds", type=float, default=120.0)
    args = parser.parse_args(argv)
    state = args.state.resolve()
    if args.command == "version":
        print(kafka_version())
    elif args.command == "fetch":
        print(fetch(args.cache))
    elif args.command == "start":
        t0 = time.monotonic()
        bootstrap = start(args.cache, state, args.port, args.wait_seconds)
        print(bootstrap)
        print(f"local-kafka: ready in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    elif args.command == "stop":
        print("stopped" if stop(state) else "not running")
    elif args.command == "status":
        bootstrap = _read(state / "bootstrap")
        if running_pid(state) and bootstrap:
            print(bootstrap)
        else:
            print("not running")
            return 1
    else:  # run
        bootstrap = start(args.cache, state, args.port, args.wait_seconds)
        print(f"Apache Kafka {kafka_version()} running at {bootstrap} (Ctrl-C stops it)", flush=True)
        stopping = False

        def _stop(_sig: int, _frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        while not stopping and running_pid(state):
            time.sleep(0.5)
        stop(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
