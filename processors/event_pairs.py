"""Merge quality on labelled article pairs: `python -m processors.event_pairs [PAIRS.jsonl]` extracts both articles
of each pair, consolidates them and prints pairwise precision and recall (last line: one JSON object)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from processors.consolidate import Consolidator, MergeRules
from processors.documents import from_json_line
from processors.evaluate import PairReport, score_pairs
from processors.event_stage import snapshot_from_extract_line
from processors.extract import Extractor

DEFAULT_PAIRS = Path(__file__).resolve().parents[1] / "tests" / "data" / "event_pairs.jsonl"


def pair_report(extractor: Extractor, rules: MergeRules, pairs: list[dict[str, Any]]) -> PairReport:
    region = extractor.resources.lexicon.region

    def merged(a: dict[str, Any], b: dict[str, Any]) -> bool:
        state = Consolidator(rules)
        for article in (a, b):
            document = from_json_line(json.dumps(article))
            incidents = extractor.extract(document).incidents
            row = {"id": article["id"], "incidents": [i.model_dump(mode="json") for i in incidents]}
            snapshot = snapshot_from_extract_line(row, 1, region)
            snapshot = snapshot.model_copy(update={"source_name": article.get("source_name"),
                                                   "published_at": document.published})  # fmt: skip
            state.apply(article["id"], snapshot)
        return any({a["id"], b["id"]} <= {s.article_id for s in event.sources} for event in state.records())

    return score_pairs(pairs, merged)


def rules_for(extractor: Extractor) -> MergeRules:
    res = extractor.resources
    return MergeRules(generic_rules=res.rules.generic_ids, government_camp=res.government_camp,
                      armed=frozenset(a.name for a in res.actors if a.side != "civilian"))  # fmt: skip


def main(argv: list[str]) -> int:
    import os

    from processors.nlp import build_pipeline

    path = Path(argv[0]) if argv else DEFAULT_PAIRS
    pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    extractor = Extractor(build_pipeline(os.environ.get("PROCESSOR_SPACY_MODEL", "en_core_web_sm")))
    report = pair_report(extractor, rules_for(extractor), pairs)
    for error in report.errors:
        print(json.dumps(error))
    print(json.dumps(report.summary()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
