"""Every SQL query of the "Idlib events" dashboard, Grafana's macros expanded, returns rows from a real PostgreSQL
holding events; the committed dashboard JSON is the generated one."""

from __future__ import annotations

import json
import re
import sys

import psycopg

from processors.records import Record
from processors.sink import DatabaseSink, decode_events
from tests.conftest import REPO
from tests.integration.test_sink import _history

DEPLOY = REPO / "deploy" / "grafana"
FROM, TO = "2020-01-01T00:00:00Z", "2020-12-31T23:59:59Z"


def expand(sql: str, event_types: list[str]) -> str:
    """Grafana's PostgreSQL macros and a multi-value variable, as Grafana expands them."""
    sql = re.sub(r"\$__timeFilter\((\w+)\)", rf"\1 BETWEEN '{FROM}' AND '{TO}'", sql)
    sql = re.sub(r"\$__timeGroupAlias\((\w+),\s*'1d'\)", r'floor(extract(epoch from \1)/86400)*86400 AS "time"', sql)
    quoted = ",".join("'" + t.replace("'", "''") + "'" for t in event_types)
    return sql.replace("$event_type", quoted)


def test_every_dashboard_query_returns_rows(database_url: str) -> None:
    sink = DatabaseSink(database_url)
    events = _history()
    sink.publish(decode_events([Record("t", 0, i, e.event_id.encode(), e.model_dump_json().encode())
                                for i, e in enumerate(events)]))  # fmt: skip
    sink.close()
    board = json.loads((DEPLOY / "dashboards" / "idlib-events.json").read_text(encoding="utf-8"))
    assert board["panels"] and {p["type"] for p in board["panels"]} >= {"geomap", "table", "timeseries"}
    with psycopg.connect(database_url) as conn:
        variable = board["templating"]["list"][0]
        types = [row[0] for row in conn.execute(variable["query"]).fetchall()]
        assert types == ["Explosions/Remote violence"]
        for panel in board["panels"]:
            for target in panel["targets"]:
                rows = conn.execute(expand(target["rawSql"], types)).fetchall()  # type: ignore[arg-type]
                assert rows, (panel["title"], target["rawSql"])
        (place, events_, killed), *_ = conn.execute(
            expand(next(p for p in board["panels"] if p["title"] == "Top places")["targets"][0]["rawSql"], types)
        ).fetchall()  # type: ignore[arg-type]
    assert (place, events_, killed) == ("Ariha", 1, 3)


def test_the_events_dashboard_json_is_generated_and_current() -> None:
    sys.path.insert(0, str(DEPLOY))
    import events_dashboard  # type: ignore[import-not-found]

    assert (DEPLOY / "dashboards" / "idlib-events.json").read_text(encoding="utf-8") == events_dashboard.render()
