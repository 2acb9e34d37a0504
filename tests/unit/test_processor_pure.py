from __future__ import annotations

import json
from datetime import date

import pytest

from ingest.contract import Article
from processors.decode import DeadLetter, decode_article
from processors.tail import header, row
from tests.unit.test_contract import make_incident


def test_decode_good_article(sample_article: Article) -> None:
    got = decode_article(sample_article.model_dump_json().encode(), {"schema_version": "1"})
    assert got == sample_article


@pytest.mark.parametrize(
    ("value", "headers", "reason"),
    [
        (b"\xff\xfe", {}, "undecodable"),
        (b"{nope", {}, "undecodable"),
        (None, {}, "undecodable"),
        (b"[1, 2]", {}, "invalid_article"),
        (json.dumps({"schema_version": 1, "article_id": "x"}).encode(), {}, "invalid_article"),
        (json.dumps({"schema_version": 2}).encode(), {}, "unknown_schema_version"),
        (b"{}", {"schema_version": "7"}, "unknown_schema_version"),
    ],
)
def test_decode_failures_name_their_reason(value: bytes | None, headers: dict[str, str], reason: str) -> None:
    with pytest.raises(DeadLetter) as caught:
        decode_article(value, headers)
    assert caught.value.reason == reason and str(caught.value)


def test_tail_row_is_readable() -> None:
    incident = make_incident(killed=None, injured=3, date=date(2020, 7, 14))
    line = row(incident)
    assert line.startswith("2020-07-14")
    assert "Remote explosive" in line and "Ariha" in line and "?/3" in line
    assert len(line) == len(header())
