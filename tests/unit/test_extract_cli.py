from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO, seed_text


def test_extract_jsonl_in_order_with_a_bad_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = [
        json.dumps({"id": "a", "text": seed_text("000_289e2b72f1e3f2dd.txt"), "published": "2020-09-16"}),
        "{not json",
        json.dumps({"id": "b", "text": "Nothing about Syria here.", "title": "t"}),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "processors", "extract", "--input", str(source), "--output", str(out)],
        capture_output=True, text=True, cwd=REPO, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", None, "b"]
    assert len(rows[0]["incidents"]) == 3
    assert "not JSON" in rows[1]["error"] and rows[1]["incidents"] == []
    assert rows[2]["incidents"] == []
    assert "bad input record" in result.stdout  # the JSON log line for the bad input
