"""Near-duplicate articles: wire copy republished by another outlet (the one owner of datasketch).

Each article's text becomes a MinHash of its word 5-gram shingles; a MinHashLSH index finds earlier articles whose
estimated Jaccard similarity reaches the threshold. An article that matches is marked duplicate_of the first article
of its group (a copy of a copy points at the original), is still published, and counts as one source with it in the
events stage. Memory is bounded: the index keeps the newest `capacity` articles.
"""

from __future__ import annotations

import re
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from datasketch import MinHash, MinHashLSH

SHINGLE_WORDS = 5
MIN_WORDS = 60  # shorter texts (a feed summary) share too few shingles to tell a copy from a formula
NUM_PERM = 128
SCHEME = "affine32"  # datasketch >= 2: stored signatures must be read back with the scheme that made them
# The input hash of each shingle. affine32 pre-mixes it with the MurmurHash3 finalizer before the permutations, so a
# fast 32-bit checksum is as good an input as SHA-1 there (datasketch's own docs suggest a fast hash) at a tenth of the
# cost: SHA-1 through a Python wrapper was most of the MinHash time per page.
HASHFUNC = zlib.crc32
# What made a stored signature: the seen-store drops signatures of another kind (they cannot be compared).
SIGNATURE_KIND = f"{SCHEME}-crc32-w{SHINGLE_WORDS}-p{NUM_PERM}"
DTYPE = np.uint32
_WORD = re.compile(r"\w+", re.UNICODE)
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, scheme=SCHEME).permutations  # made once: each MinHash() redraws them


@dataclass(frozen=True)
class Signature:
    hashvalues: bytes  # NUM_PERM values of DTYPE, as stored in the seen-store
    made: MinHash | None = field(default=None, compare=False, repr=False)  # the MinHash these values came from

    @property
    def minhash(self) -> MinHash:
        """The MinHash of these values, made once per signature (the lookup and the index share it)."""
        if self.made is None:
            object.__setattr__(self, "made", MinHash(
                num_perm=NUM_PERM, hashvalues=np.frombuffer(self.hashvalues, dtype=DTYPE), permutations=_PERMUTATIONS,
                scheme=SCHEME, hashfunc=HASHFUNC))  # fmt: skip
        return self.made


def signature(text: str) -> Signature | None:
    """The text's MinHash, or None when the text is too short to compare."""
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return None
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]).encode("utf-8") for i in range(len(words) - SHINGLE_WORDS + 1)}
    minhash = MinHash(num_perm=NUM_PERM, permutations=_PERMUTATIONS, scheme=SCHEME, hashfunc=HASHFUNC)
    minhash.update_batch(list(shingles))
    return Signature(np.asarray(minhash.hashvalues, dtype=DTYPE).tobytes(), minhash)


class NearDuplicates:
    """The index of recent articles' signatures; not thread-safe (the ingest event loop owns it)."""

    def __init__(self, threshold: float = 0.7, capacity: int = 50_000) -> None:
        self.threshold = threshold
        self.capacity = capacity
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._entries: OrderedDict[str, tuple[int, MinHash, str]] = OrderedDict()  # id -> (order, minhash, origin)
        self._next = 0

    def __len__(self) -> int:
        return len(self._entries)

    def original_of(self, article_id: str, sig: Signature | None) -> str | None:
        """The first article this one copies (its group's original), or None."""
        if sig is None:
            return None
        minhash = sig.minhash
        candidates = sorted(self._entries[key] for key in self._lsh.query(minhash) if key != article_id)
        for _, indexed, origin in candidates:  # the earliest first: the first that is similar enough is the answer
            if indexed.jaccard(minhash) >= self.threshold:
                return origin
        return None

    def add(self, article_id: str, sig: Signature | None, origin: str | None) -> None:
        """Index an acknowledged article; a new revision replaces its earlier signature."""
        if sig is None:
            return
        if article_id in self._entries:
            self._lsh.remove(article_id)
            del self._entries[article_id]
        minhash = sig.minhash
        self._lsh.insert(article_id, minhash)
        self._entries[article_id] = (self._next, minhash, origin or article_id)
        self._next += 1
        while len(self._entries) > self.capacity:
            oldest, _ = self._entries.popitem(last=False)
            self._lsh.remove(oldest)
