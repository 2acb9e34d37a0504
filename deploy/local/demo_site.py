"""The seed articles as a small news site: realistic article pages (with boilerplate) and RSS/Atom feeds.

Used by `make demo` (served on loopback as the demo feed) and by the tests (tests/support/pages.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


BOILERPLATE = [
    "Home", "Politics", "Syria News", "Subscribe",
    "We use cookies to improve your experience on our site. By continuing you accept our cookie policy.",
    "Accept all cookies", "Sign up to read this article", "Already a member? Sign in here", "Related Stories",
    "Turkey sends new reinforcements to its posts", "Five killed in Aleppo countryside blast",
    "© 2020 North Press Agency. All rights reserved.", "Back to top button",
]  # fmt: skip


@dataclass(frozen=True)
class SeedArticle:
    slug: str
    title: str
    paragraphs: list[str]
    published: str  # RFC 822 for RSS


def seed_articles() -> list[SeedArticle]:
    lines_000 = [line.strip() for line in seed_text("000_289e2b72f1e3f2dd.txt").splitlines() if line.strip()]
    lines_002 = [line.strip() for line in seed_text("002_bb0d3a49c01203d0.txt").splitlines() if line.strip()]
    start = lines_002.index("Russia Seeks to Reduce Turkey's Presence in Idlib")
    end = lines_002.index("Sign up to read this article")
    return [
        SeedArticle("russian-turkish-disagreement", lines_000[0],
                    [p for p in lines_000[1:] if p != "Back to top button"], "Wed, 16 Sep 2020 08:00:00 GMT"),
        SeedArticle("russia-seeks-to-reduce-turkey-presence", lines_002[start],
                    lines_002[start + 2 : end], "Thu, 17 Sep 2020 06:30:00 GMT"),
    ]  # fmt: skip


def article_page(article: SeedArticle) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(article.title)}</title>
<meta name="author" content="Staff reporter"><meta property="article:published_time" content="2020-09-16T08:00:00Z">
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/politics">Politics</a></li>
<li><a href="/syria">Syria News</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav></header>
<div id="cookie-banner" class="cookie-consent"><p>{BOILERPLATE[4]}</p><button>Accept all cookies</button></div>
<main><article><h1>{escape(article.title)}</h1><div class="entry-content">{body}</div></article>
<div class="paywall"><p>Sign up to read this article</p><p>Already a member? Sign in here</p></div>
<aside class="related"><h3>Related Stories</h3><ul>
<li><a href="/a">Turkey sends new reinforcements to its posts</a></li>
<li><a href="/b">Five killed in Aleppo countryside blast</a></li></ul></aside></main>
<footer><p>© 2020 North Press Agency. All rights reserved.</p><a href="#top" class="back-to-top">Back to top button</a>
</footer></body></html>"""


def rss(base: str, items: list[tuple[str, str, str, str]]) -> str:
    """items: (title, link path, pubDate, summary)."""
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{base}{link}?utm_source=rss&amp;utm_medium=feed#top</link>"
        f"<pubDate>{date}</pubDate><description>{escape(summary)}</description></item>"
        for t, link, date, summary in items
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test feed</title>'
            f"<link>{base}/</link><description>t</description>{entries}</channel></rss>")  # fmt: skip


def atom(base: str, items: list[tuple[str, str, str, str]]) -> str:
    """items: (title, link path (relative), updated ISO, summary)."""
    entries = "".join(
        f'<entry><title>{escape(t)}</title><link rel="alternate" href="{link}"/><id>{base}{link}</id>'
        f"<updated>{updated}</updated><summary>{escape(summary)}</summary></entry>"
        for t, link, updated, summary in items
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}/">'
            f"<title>Atom test</title><id>{base}/</id><updated>2020-09-17T00:00:00Z</updated>{entries}</feed>")  # fmt: skip
