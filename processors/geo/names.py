"""Place-name normalisation: folded keys and consonant skeletons shared by Latin and Arabic spellings (pure)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import product

# Arabic definite-article spellings that stand as their own word in transliterations ("al-Numan", "Ash-Shugur").
ARTICLES = frozenset({"al", "el", "ar", "as", "ash", "ad", "an", "at", "az", "ath", "adh", "ed", "es", "er", "ez"})
# ACLED writes English qualifiers where Arabic names carry an adjective after the noun.
QUALIFIERS = {
    "big": "kabir",
    "great": "kabir",
    "small": "saghir",
    "little": "saghir",
    "eastern": "sharqi",
    "western": "gharbi",
    "northern": "shamali",
    "southern": "janubi",
    "upper": "fawqani",
    "lower": "tahtani",
}
_APOSTROPHES = re.compile(r"[’'`ʿʾ‘ʼ′´]")
_NON_WORD = re.compile(r"[^0-9a-z\u0600-\u06ff]+")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_LEADING_ARTICLE = re.compile(r"^(?:el|al)(?=\w{3,})", re.I)

# Consonant classes. Vowels, semi-vowels (w, y), h and the glottal stop drop out: transliterations disagree on them.
_LATIN_DIGRAPHS = (("kh", "k"), ("gh", "g"), ("sh", "S"), ("ch", "S"), ("th", "D"), ("dh", "D"), ("dj", "j"),
                   ("ou", ""), ("ck", "k"))  # fmt: skip
_LATIN_CLASS = str.maketrans({
    "q": "k", "c": "k", "k": "k", "z": "D", "d": "D", "t": "t", "s": "s", "j": "j", "g": "g", "f": "f", "v": "f",
    "b": "b", "p": "b", "m": "m", "n": "n", "l": "l", "r": "r", "x": "k",
    "a": None, "e": None, "i": None, "o": None, "u": None, "y": None, "w": None, "h": None,
})  # fmt: skip
_ARABIC_CLASS = str.maketrans({
    "ق": "k", "ك": "k", "خ": "k", "غ": "g", "ش": "S", "ث": "D", "ذ": "D", "ظ": "D", "ض": "D", "د": "D", "ز": "D",
    "ت": "t", "ط": "t", "س": "s", "ص": "s", "ج": "j", "ف": "f", "ب": "b", "م": "m", "ن": "n", "ل": "l", "ر": "r",
    "ح": None, "ه": None, "ع": None, "ء": None, "ا": None, "أ": None, "إ": None, "آ": None, "و": None, "ؤ": None,
    "ي": None, "ى": None, "ئ": None, "ة": None, "\u0640": None,
})  # fmt: skip


# typographic punctuation news copy is full of, as the ASCII fold() treats alike (apostrophes go, the rest separate)
_TYPOGRAPHIC = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "“": " ", "”": " ", "–": " ", "—": " ", "\u00a0": " ",
                              "…": " ", "•": " "})  # fmt: skip


def fold(text: str) -> str:
    """Lower-case ASCII-ish text: diacritics, apostrophes and punctuation removed, words separated by one space."""
    if not text.isascii():
        text = text.translate(_TYPOGRAPHIC)  # most non-ASCII text is only curly quotes and dashes: the fast path
    if text.isascii():
        stripped = text.lower().replace("'", "").replace("`", "")
        return _NON_WORD.sub(" ", stripped).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = _APOSTROPHES.sub("", stripped.lower())
    return _NON_WORD.sub(" ", stripped).strip()


@lru_cache(maxsize=200_000)
def _latin_words(name: str) -> tuple[str, ...]:
    words = fold(name).split()
    out: list[str] = []
    for word in words:
        if word == "abul":  # "Abul Thohur" = "Abu al-Thohur"
            out.append("abu")
            continue
        if word in QUALIFIERS:
            continue
        out.append(word)
    trailing = [QUALIFIERS[w] for w in words if w in QUALIFIERS]
    if len(out) > 1:
        out = [w for w in out if w not in ARTICLES] or out
    return (*out, *trailing)


def normal_key(name: str) -> str:
    """Exact-match key: folded words without articles ("Ma'arrat An-Nu'man" -> "maarrat numan")."""
    if _ARABIC.search(name):
        return " ".join(w[2:] if w.startswith("ال") and len(w) > 3 else w for w in fold(name).split())
    return " ".join(_latin_words(name))


def loose_key(name: str) -> str:
    """Vowel-insensitive key for names too short for a skeleton ("Foah" = "Fu'ah", "Ruwaiha" = "Ruwayhah")."""
    if _ARABIC.search(name):
        return ""
    key = "".join(_latin_words(name))
    key = re.sub(r"(?<=[aeiouy])h$", "", key) if len(key) > 4 else key
    key = key.replace("q", "k").replace("c", "k").replace("ou", "u")
    key = re.sub(r"[aeiouyw]+", "a", key)
    return re.sub(r"(.)\1+", r"\1", key)


def consonant_key(name: str) -> str:
    """Vowels dropped but h kept: "Halbeh" = "Haluba", "Hbit" = "Habit" (names whose skeleton is too short)."""
    if _ARABIC.search(name):
        return ""
    key = "".join(_latin_words(name))
    key = re.sub(r"(?<=[aeiouy])h$", "", key)
    key = key.replace("q", "k").replace("c", "k")
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[aeiouyw]+", "", key))


# Words a report puts before a name that the gazetteer often lacks: "Eastern Sarja" = "Sarjah", "Tall Harran".
DROPPABLE_HEADS = frozenset(set(QUALIFIERS) | {"tall", "tal", "tell", "tel", "khirbet", "kherbet", "khirbat"})
ARABIC_DROPPABLE_HEADS = ("خربة", "خربه", "تل")


def without_head(name: str) -> str | None:
    """The name without a droppable first word, or None."""
    words = name.split()
    if len(words) > 1 and (fold(words[0]) in DROPPABLE_HEADS or words[0] in ARABIC_DROPPABLE_HEADS):
        return " ".join(words[1:])
    return None


def glued_variants(name: str) -> list[str]:
    """Spellings with a glued article split off: "Rasm Elabed" -> ["Rasm Elabed", "Rasm abed"]."""
    words = name.split()
    stripped = [_LEADING_ARTICLE.sub("", w) if i else w for i, w in enumerate(words)]
    return [name] if stripped == words else [name, " ".join(stripped)]


@lru_cache(maxsize=50_000)
def has_article(name: str) -> bool:
    """Whether a name carries the Arabic definite article: "Rasm al-Abd", "Rasm Elabed", "البارة" (but not
    "Haluba"). Reporters drop articles more often than they add them, so agreement is a hint between namesakes."""
    if _ARABIC.search(name):
        return any(w.startswith("ال") and len(w) > 3 for w in name.split())
    words = re.split(r"[\s-]+", name.lower())
    return any(w in ARTICLES for w in words) or any(re.match(r"^(?:al|el)\w{3,}$", w) for w in words[1:])


def _latin_word_skeleton(word: str) -> str:
    for digraph, repl in _LATIN_DIGRAPHS:
        word = word.replace(digraph, repl)
    if len(word) > 3 and re.search(r"[aei]t$", word):  # construct-state "-at" (Maarrat) matches Arabic ة
        word = word[:-1]
    return word.translate(_LATIN_CLASS)


def _arabic_word_skeleton(word: str) -> str:
    if word.startswith("ال") and len(word) > 3:
        word = word[2:]
    return word.translate(_ARABIC_CLASS)


def _collapse(skel: str) -> str:
    return re.sub(r"(.)\1+", r"\1", skel)


@lru_cache(maxsize=200_000)
def skeletons(name: str) -> frozenset[str]:
    """Consonant skeletons of a name (a few variants for glued articles such as "Elabed" = "el Abed")."""
    if _ARABIC.search(name):
        words = fold(name).split()
        return frozenset({_collapse("".join(_arabic_word_skeleton(w) for w in words))})
    options: list[list[str]] = []
    for word in _latin_words(name):
        variants = {_latin_word_skeleton(word)}
        glued = re.match(r"^(al|el)(.{3,})$", word)
        if glued:
            variants.add(_latin_word_skeleton(glued.group(2)))
        options.append(sorted(variants))
    if not options:
        return frozenset()
    return frozenset(_collapse("".join(combo)) for combo in product(*options))
