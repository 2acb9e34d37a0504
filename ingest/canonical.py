"""Canonical article URLs: the key of dedup and of article_id (pure)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ocid", "cmpid", "ref", "ref_src", "_ga",
     "yclid", "spm", "share", "amp", "output", "from", "s_cid", "wt.mc_id", "cid"}
)  # fmt: skip
DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(link: str, base: str | None = None) -> str:
    """Absolute URL with lower-case scheme and host, no default port, no fragment, no tracking parameters
    (utm_* and the usual click ids), and no trailing '?'. Relative links resolve against base."""
    absolute = urljoin(base, link.strip()) if base else link.strip()
    parts = urlsplit(absolute)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMS
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))
