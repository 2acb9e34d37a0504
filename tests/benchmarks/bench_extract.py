"""Benchmark: words/s of the extractor against raw `nlp.pipe` of the same model on the same texts, and the spelling
similarity of place resolution (rapidfuzz) against difflib on the name pairs that run scored; one run.

Usage: python tests/benchmarks/bench_extract.py [--texts FILE.jsonl] [--repeat N]
Texts: a JSONL file with a "text" field per line (e.g. ../shared/eval/dev.jsonl), else the seed articles.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from processors.extract import Document, Extractor  # noqa: E402
from processors.geo import resolve  # noqa: E402
from processors.geo.gazetteer import Gazetteer  # noqa: E402
from processors.geo.names import glued_variants, normal_key  # noqa: E402
from processors.geo.resolve import MIN_SKELETON_SIMILARITY  # noqa: E402
from processors.nlp import build_pipeline, load_model, settle_heap  # noqa: E402


def load_texts(path: str | None) -> list[str]:
    if path:
        return [json.loads(line)["text"] for line in Path(path).read_text(encoding="utf-8").splitlines() if line]
    return [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", default=os.environ.get("PROCESSOR_SPACY_MODEL", "en_core_web_sm"))
    args = parser.parse_args()
    texts = load_texts(args.texts) * args.repeat
    words = sum(len(t.split()) for t in texts)
    docs = [Document(id=str(i), text=t) for i, t in enumerate(texts)]

    raw = load_model(args.model)
    extractor = Extractor(build_pipeline(args.model))
    list(raw.pipe(texts[:8]))  # warm both up
    extractor.extract_batch(docs[:8])
    settle_heap()  # as the services do after start-up (same for both)

    t0 = time.perf_counter()
    for _ in raw.pipe(texts, batch_size=32):
        pass
    raw_seconds = time.perf_counter() - t0
    # the model components extraction itself runs (it does without the attribute_ruler, the lemmatizer and the
    # ner): the ratio to these is the cost of our own components and rules alone
    skipped = [name for name in ("attribute_ruler", "lemmatizer", "ner") if name in raw.pipe_names]
    t0 = time.perf_counter()
    with raw.select_pipes(disable=skipped):
        for _ in raw.pipe(texts, batch_size=32):
            pass
    same_seconds = time.perf_counter() - t0

    pairs: set[tuple[str, str]] = set()
    scored = resolve._similarity

    def spy(gaz: Gazetteer, phrase: str, place_id: str) -> float:
        pairs.add((phrase, place_id))
        return scored(gaz, phrase, place_id)

    t0 = time.perf_counter()
    outcomes = extractor.extract_batch(docs)
    extract_seconds = time.perf_counter() - t0
    resolve._similarity = spy  # type: ignore[assignment]  # a second, untimed pass collects the name pairs
    extractor.extract_batch(docs[: max(1, len(docs) // args.repeat)])
    resolve._similarity = scored
    relevant = sum(1 for o in outcomes if o.relevant)
    incidents = sum(len(o.incidents) for o in outcomes)
    fuzzy = similarity_figures(extractor.gazetteer, sorted(pairs))

    raw_wps, extract_wps, same_wps = words / raw_seconds, words / extract_seconds, words / same_seconds
    print(f"texts: {len(texts)} ({words} words), relevant to Idlib: {relevant}, incidents: {incidents}")
    print(f"raw nlp.pipe ({', '.join(raw.pipe_names)}): {raw_wps:,.0f} words/s ({raw_seconds:.2f} s)")
    print(f"extract (relevance filter + pipeline + rules): {extract_wps:,.0f} words/s ({extract_seconds:.2f} s)")
    print(f"bare nlp.pipe without {', '.join(skipped) or 'nothing'} (what extraction runs of the model): "
          f"{same_wps:,.0f} words/s ({same_seconds:.2f} s)")  # fmt: skip
    print(f"ratio extract/raw: {extract_wps / raw_wps:.2f} (target >= 0.9); extract/same components: "
          f"{extract_wps / same_wps:.2f} (our components and rules alone)")  # fmt: skip
    print(
        f"similarity on {fuzzy['pairs']} name pairs: rapidfuzz {fuzzy['rapidfuzz_us']:.2f} us/pair, difflib "
        f"{fuzzy['difflib_us']:.2f} us/pair, ratio {fuzzy['speedup']:.0f}x; same score on {fuzzy['same_score']:.1%},"
        f" same decision at {MIN_SKELETON_SIMILARITY} on {fuzzy['same_decision']:.2%}"
    )
    print(json.dumps({"texts": len(texts), "words": words, "relevant": relevant, "incidents": incidents,
                      "raw_words_per_s": round(raw_wps), "extract_words_per_s": round(extract_wps),
                      "ratio_extract_raw": round(extract_wps / raw_wps, 3),
                      "same_components_words_per_s": round(same_wps),
                      "ratio_extract_same_components": round(extract_wps / same_wps, 3),
                      **{f"similarity_{k}": v for k, v in fuzzy.items()}}))  # fmt: skip
    return 0


def similarity_figures(gaz: Gazetteer, pairs: list[tuple[str, str]]) -> dict[str, float]:
    """rapidfuzz.fuzz.ratio (what resolve uses) against difflib's SequenceMatcher on the same normalised keys."""
    from difflib import SequenceMatcher

    from rapidfuzz import fuzz

    work = [(normal_key(v), k) for phrase, pid in pairs for v in glued_variants(phrase)
            for k in gaz.latin_keys.get(pid, ())]  # fmt: skip
    t0 = time.perf_counter()
    fast = [fuzz.ratio(a, b) / 100 for a, b in work]
    fast_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = [SequenceMatcher(None, a, b).ratio() for a, b in work]
    slow_s = time.perf_counter() - t0
    n = max(len(work), 1)
    same = sum(abs(a - b) < 1e-9 for a, b in zip(fast, slow, strict=True))
    agree = sum(
        (a >= MIN_SKELETON_SIMILARITY) == (b >= MIN_SKELETON_SIMILARITY) for a, b in zip(fast, slow, strict=True)
    )
    return {"pairs": len(work), "rapidfuzz_us": fast_s / n * 1e6, "difflib_us": slow_s / n * 1e6,
            "speedup": slow_s / fast_s if fast_s else 0.0, "same_score": same / n, "same_decision": agree / n}  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
