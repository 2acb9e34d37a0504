"""Robustness on corpora nobody here wrote: feedparser's own test feeds through parse_feed, trafilatura's test pages
through clean_html, plus generated hostile inputs. Fetches nothing (the samples are vendored in tests/data/corpora,
with their licences).

    python -m tests.support.corpora        # a table, then one JSON object of the counts as the last line

Each input ends as ok, a clear error (our PermanentError family: NoUsableText and the like), or an unexpected
exception (a defect).
"""

from __future__ import annotations

import gzip
import json
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.clean import clean_html
from ingest.contract import PermanentError
from ingest.feeds import MAX_ENTRIES, parse_feed

CORPORA = Path(__file__).resolve().parent.parent / "data" / "corpora"
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".z", ".gz")
URL = "https://corpus.example/feed"


@dataclass
class Tally:
    files: int = 0
    ok: int = 0
    clear_errors: int = 0
    unexpected: int = 0
    entries: int = 0
    skipped: int = 0  # entries dropped with a counted reason (no link, over the cap ...)
    slowest_seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"files": self.files, "ok": self.ok, "clear_errors": self.clear_errors,
                "unexpected": self.unexpected, "entries": self.entries, "skipped": self.skipped,
                "slowest_seconds": round(self.slowest_seconds, 3)}  # fmt: skip


def _run(tally: Tally, name: str, work: Callable[[], int]) -> None:
    tally.files += 1
    started = time.perf_counter()
    try:
        tally.entries += work()
        tally.ok += 1
    except PermanentError:
        tally.clear_errors += 1
    except Exception:  # the defect this corpus is here to find
        tally.unexpected += 1
        tally.failures.append(f"{name}: {traceback.format_exc(limit=3)}")
    tally.slowest_seconds = max(tally.slowest_seconds, time.perf_counter() - started)


def _feed(tally: Tally, body: bytes) -> Callable[[], int]:
    def work() -> int:
        parsed = parse_feed(body, URL)
        tally.skipped += sum(parsed.skipped.values())
        return len(parsed.entries)

    return work


def _page(body: bytes | str) -> Callable[[], int]:
    return lambda: len(clean_html(body, "https://corpus.example/article", 200).text) and 1


def generated_feeds() -> Iterator[tuple[str, bytes]]:
    item = "<item><title>t{n}</title><link>https://x.example/{n}</link><pubDate>{date}</pubDate></item>"
    rss = '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'
    yield (
        "year-0 date",
        (
            b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><entry><title>a</title>'
            b'<link href="https://x.example/1"/><updated>0000-01-01T00:00:00Z</updated></entry></feed>'
        ),
    )
    yield (
        "NUL bytes",
        rss.format(items=item.format(n=1, date="Mon, 10 Feb 2020 08:00:00 GMT"))
        .encode()
        .replace(b"<title>x", b"<title>\x00x\x00"),
    )
    yield "entry without link", rss.format(items="<item><title>no link</title></item>").encode()
    yield "empty body", b""
    yield "not XML at all", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    many = "".join(item.format(n=n, date="Mon, 10 Feb 2020 08:00:00 GMT") for n in range(MAX_ENTRIES * 4))
    yield "4x the entry cap", rss.format(items=many).encode()


def generated_pages() -> Iterator[tuple[str, str]]:
    paragraph = "<p>" + "Shelling hit the outskirts of Ariha in Idlib on Tuesday, residents said. " * 4 + "</p>"
    yield "nested 400 deep", "<html><body>" + "<div>" * 400 + "<article>" + paragraph * 6 + "</article>" + "</div>" * 400 + "</body></html>"  # fmt: skip
    yield "empty page", ""
    yield "boilerplate only", "<html><body><nav><a href='/'>Home</a></nav><footer>(c) 2020</footer></body></html>"
    yield "NUL-laden page", "<html><body><article>" + paragraph.replace(" ", "\x00 ") * 6 + "</article></body></html>"


def run(corpora: Path = CORPORA) -> dict[str, Tally]:
    feeds, pages = Tally(), Tally()
    for path in sorted(corpora.rglob("*")):
        if not path.is_file() or path.name in {"LICENSE", "README.md"}:
            continue
        body = path.read_bytes()
        if path.name.endswith(".html.gz"):
            _run(pages, str(path), _page(gzip.decompress(body)))
        elif path.suffix in (".html", ".htm"):
            _run(pages, str(path), _page(body))
        elif path.suffix in FEED_SUFFIXES:
            _run(feeds, str(path), _feed(feeds, body))
    generated = Tally()
    for name, feed_body in generated_feeds():
        _run(generated, name, _feed(generated, feed_body))
    for name, page in generated_pages():
        _run(generated, name, _page(page))
    return {"feeds": feeds, "pages": pages, "generated": generated}


def main() -> int:
    results = run()
    print(f"{'corpus':<10} {'files':>6} {'ok':>6} {'clear':>6} {'unexpected':>10} {'entries':>8} {'skipped':>8} "
          f"{'slowest s':>9}")  # fmt: skip
    for name, tally in results.items():
        print(f"{name:<10} {tally.files:>6} {tally.ok:>6} {tally.clear_errors:>6} {tally.unexpected:>10} "
              f"{tally.entries:>8} {tally.skipped:>8} {tally.slowest_seconds:>9.3f}")  # fmt: skip
        for failure in tally.failures:
            print(failure, file=sys.stderr)
    print(json.dumps({name: tally.as_dict() for name, tally in results.items()}))
    return 1 if any(t.unexpected for t in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
