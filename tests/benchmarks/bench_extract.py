"""Benchmark: words/s of the extractor against raw `nlp.pipe` of the same model on the same texts, one run.

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
from processors.nlp import build_pipeline, load_model  # noqa: E402


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

    t0 = time.perf_counter()
    for _ in raw.pipe(texts, batch_size=32):
        pass
    raw_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    incidents = extractor.extract_batch(docs)
    extract_seconds = time.perf_counter() - t0
    relevant = sum(1 for d in docs if extractor.relevant(d))

    raw_wps, extract_wps = words / raw_seconds, words / extract_seconds
    print(f"texts: {len(texts)} ({words} words), relevant to Idlib: {relevant}, incidents: {sum(map(len, incidents))}")
    print(f"raw nlp.pipe ({', '.join(raw.pipe_names)}): {raw_wps:,.0f} words/s ({raw_seconds:.2f} s)")
    print(f"extract (relevance filter + pipeline + rules): {extract_wps:,.0f} words/s ({extract_seconds:.2f} s)")
    print(f"ratio extract/raw: {extract_wps / raw_wps:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
