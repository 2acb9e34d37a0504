"""Benchmark, one run: the raw-text prefilter before spaCy, on a realistic mix (90% of articles not about Idlib).

prefilter_speedup: texts/s of the prefilter's decision vs texts/s of full extraction (every text through the model
and the rules, no filter) on the same mix. mix_speedup: the whole mix with the filters (prefilter, relevance test,
then extraction of what passes) vs full extraction of every text; with 10% relevant it cannot exceed about 10.
prefilter_recall: of the texts full extraction finds an incident in, the share the prefilter passes, on each dev set.

Usage: python tests/benchmarks/bench_prefilter.py [--dev ../shared/eval/dev.jsonl] [--news ../shared/eval/news_dev.jsonl]
The mix: the dev sets' articles full extraction finds an incident in (10%) and, for the other 90%, their negatives
(other Syrian governorates: hard negatives that name namesake villages) and the vendored trafilatura test pages
(not news), drawn with a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from processors.documents import parse_published  # noqa: E402
from processors.extract import Document, Extractor  # noqa: E402
from processors.nlp import build_pipeline  # noqa: E402

SHARED = REPO.parent / "shared" / "eval"


def documents(path: Path) -> list[tuple[Document, bool]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(Document(id=r["id"], text=r["text"], title=r.get("title") or "", published=parse_published(r.get("published"))),
             (r.get("gold") or {}).get("idlib", True) is not False) for r in rows]  # fmt: skip


def timed(work):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", default=str(SHARED / "dev.jsonl"))
    parser.add_argument("--news", default=str(SHARED / "news_dev.jsonl"))
    parser.add_argument("--mix", type=int, default=600, help="texts in the mix")
    parser.add_argument("--model", default=os.environ.get("PROCESSOR_SPACY_MODEL", "en_core_web_sm"))
    args = parser.parse_args()
    extractor = Extractor(build_pipeline(args.model))

    figures: dict[str, float] = {}
    relevant: list[Document] = []
    elsewhere: list[Document] = []
    for name, path in (("acled", Path(args.dev)), ("news", Path(args.news))):
        docs = documents(path)
        extractor.screen = False
        outcomes = extractor.extract_batch([d for d, _ in docs])
        extractor.screen = True
        found = [d for (d, _), o in zip(docs, outcomes, strict=True) if o.incidents]
        passed = [d for d in found if extractor.prefilter.passes(d.text, d.title)]
        gold = [d for d, positive in docs if positive]
        figures[f"prefilter_recall_{name}"] = round(len(passed) / max(len(found), 1), 4)
        figures[f"gold_positives_passed_{name}"] = round(
            sum(extractor.prefilter.passes(d.text, d.title) for d in gold) / max(len(gold), 1), 4
        )
        lost = sorted({d.id for d in found} - {d.id for d in passed})
        print(f"{name}: {len(docs)} texts, {len(found)} with an incident without any filter, {len(passed)} of them pass "
              f"the prefilter (lost: {lost or 'none'}); gold positives passed {figures[f'gold_positives_passed_{name}']:.3f}")  # fmt: skip
        relevant += found
        elsewhere += [d for d, positive in docs if not positive]
    for page in sorted((REPO / "tests" / "data" / "corpora" / "trafilatura").glob("*.html")):
        elsewhere.append(Document(id=page.name, text=page.read_text(encoding="utf-8", errors="replace")))

    rng = random.Random(7)
    n_relevant = max(1, args.mix // 10)
    mix = rng.choices(relevant, k=n_relevant) + rng.choices(elsewhere, k=args.mix - n_relevant)
    rng.shuffle(mix)
    words = sum(len(d.text.split()) for d in mix)
    extractor.extract_batch(mix[:8])  # warm up

    decisions, pre_s = timed(lambda: [extractor.prefilter.passes(d.text, d.title) for d in mix])
    extractor.screen = False
    full, full_s = timed(lambda: extractor.extract_batch(mix))
    extractor.screen = True
    screened, screened_s = timed(lambda: extractor.extract_batch(mix))
    about_idlib = {id(d) for d in relevant}
    negatives_passed = sum(p for p, d in zip(decisions, mix, strict=True) if id(d) not in about_idlib)
    same = sum(a.incidents == b.incidents for a, b in zip(full, screened, strict=True))
    figures.update({
        "mix_texts": len(mix), "mix_words": words, "mix_relevant_share": round(n_relevant / len(mix), 3),
        "prefilter_texts_per_s": round(len(mix) / pre_s, 1), "full_extraction_texts_per_s": round(len(mix) / full_s, 1),
        "prefilter_speedup": round(full_s / pre_s, 1), "mix_speedup": round(full_s / screened_s, 2),
        "elsewhere_passed_share": round(negatives_passed / max(len(mix) - n_relevant, 1), 3),
        "same_incidents_share": round(same / len(mix), 4),
    })  # fmt: skip
    print(f"mix: {len(mix)} texts ({words} words), {n_relevant} about Idlib")
    print(f"prefilter: {len(mix) / pre_s:,.0f} texts/s; full extraction: {len(mix) / full_s:,.1f} texts/s; "
          f"prefilter_speedup {full_s / pre_s:.0f}x")  # fmt: skip
    print(f"whole mix with the filters: {screened_s:.2f} s vs {full_s:.2f} s without (mix_speedup {full_s / screened_s:.2f}); "
          f"texts about elsewhere passing the prefilter: {figures['elsewhere_passed_share']:.1%}; "
          f"same incidents as without filters: {same}/{len(mix)}")  # fmt: skip
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
