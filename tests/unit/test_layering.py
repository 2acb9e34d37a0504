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


# Pure transforms: no broker, no network, no metrics; side effects stay at the edges (loop, worker, services).
PURE = ("actors", "casualties", "dates", "decode", "documents", "evaluate", "events", "extract", "lexicon", "records",
        "resources", "merge", "consolidate", "export", "prefilter", "geo/names", "geo/gazetteer", "geo/mentions", "geo/resolve",
        "geo/incident_place")  # fmt: skip
EDGES = ("kafka", "aiohttp", "prometheus_client", "psycopg", "ingest.contract.broker", "processors.loop",
         "processors.worker", "processors.metrics", "processors.db")  # fmt: skip


def _closure(module: str) -> set[str]:
    """Every module a processors/ingest module imports, transitively, within the repository (plus third parties)."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        base = REPO / Path(*name.split("."))
        path = base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"
        if name.split(".")[0] in {"processors", "ingest"} and path.exists():
            todo.extend(imported_modules(path))
    return seen


def test_pure_modules_reach_no_broker_network_or_metrics() -> None:
    offenders = {}
    for name in PURE:
        module = "processors." + name.replace("/", ".")
        bad = sorted(m for m in _closure(module) if any(m == e or m.startswith(e + ".") for e in EDGES))
        if bad:
            offenders[module] = bad
    assert offenders == {}


def test_geo_imports_nothing_above_it() -> None:
    files = sorted((REPO / "processors" / "geo").glob("*.py"))
    assert len(files) >= 6
    allowed = ("processors.geo", "processors.lexicon")
    offenders = {
        path.name: sorted(m for m in imported_modules(path)
                          if m.startswith(("processors", "ingest")) and not m.startswith(allowed))
        for path in files
    }  # fmt: skip
    assert {k: v for k, v in offenders.items() if v} == {}
    # and the lexicon it leans on is data only: it may import geo.names, nothing else of ours
    lexicon = imported_modules(REPO / "processors" / "lexicon.py")
    assert {m for m in lexicon if m.startswith(("processors", "ingest"))} <= {"processors.geo.names"}


def test_every_geo_module_states_its_role() -> None:
    import ast as _ast

    for path in (REPO / "processors" / "geo").glob("*.py"):
        doc = _ast.get_docstring(_ast.parse(path.read_text(encoding="utf-8")))
        assert doc and doc.strip(), path.name


def test_only_the_db_module_imports_psycopg() -> None:
    owners = {
        str(path.relative_to(REPO))
        for pkg in ("ingest", "processors")
        for path in (REPO / pkg).rglob("*.py")
        if any(m == "psycopg" or m.startswith("psycopg.") for m in imported_modules(path))
    }
    assert owners == {"processors/db.py"}
