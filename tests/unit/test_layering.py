from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_ingest_never_imports_processors() -> None:
    files = sorted((REPO / "ingest").rglob("*.py"))
    assert files, "no ingest modules found"
    offenders = {
        str(path.relative_to(REPO)): sorted(m for m in imported_modules(path) if m.split(".")[0] == "processors")
        for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_broker_module_imports_kafka() -> None:
    owners = {
        str(path.relative_to(REPO))
        for pkg in ("ingest", "processors")
        for path in (REPO / pkg).rglob("*.py")
        if any(m == "kafka" or m.startswith("kafka.") for m in imported_modules(path))
    }
    assert owners == {"ingest/contract/broker.py"}
