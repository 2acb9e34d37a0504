"""Canonical article URLs: the key of dedup (pure). The one owner of w3lib.

w3lib's canonicalize_url does the RFC 3986 work (dot segments, percent-encoding of path and query in one form,
query parameters sorted, fragment dropped, host lower-cased). On top of it this module applies our policy: relative
links resolve against the feed, tracking parameters go, and an explicit default port is dropped.

CANONICAL_VERSION names the rule set; the seen-store re-keys its rows when it changes (see dedup.py).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

CANONICAL_VERSION = 2  # 1: urllib-only rules (no dot segments, no percent-encoding normalisation, query unsorted)

TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ocid", "cmpid", "ref", "ref_src", "_ga",
     "yclid", "spm", "share", "amp", "output", "from", "s_cid", "wt.mc_id", "cid"}
)  # fmt: skip
TRACKING_PREFIXES = ("utm_",)
DEFAULT_PORTS = {"http": 80, "https": 443}


def _tracking(query: str) -> list[str]:
    keys = {key for key, _ in parse_qsl(query, keep_blank_values=True)}
    return sorted(k for k in keys if k.lower() in TRACKING_PARAMS or k.lower().startswith(TRACKING_PREFIXES))


def canonical_url(link: str, base: str | None = None) -> str:
    """The key two spellings of one article's link share. Relative links resolve against base."""
    absolute = urljoin(base, link.strip()) if base else link.strip()
    tracking = _tracking(urlsplit(absolute).query)
    cleaned = url_query_cleaner(absolute, tracking, remove=True, keep_fragments=True) if tracking else absolute
    parts = urlsplit(canonicalize_url(cleaned))
    host = (parts.hostname or "").rstrip(".")
    host = f"[{host}]" if ":" in host else host  # IPv6 literal
    port = parts.port
    netloc = host if port is None or DEFAULT_PORTS.get(parts.scheme) == port else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
