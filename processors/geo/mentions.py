"""The one place-mention finder: capitalised name runs in a spaCy Doc matched against the gazetteer, used both by
the relevance test (on a tokenised-only Doc) and by place resolution (on a parsed Doc) (pure)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from spacy.tokens import Doc, Span, Token

from processors.geo.gazetteer import Gazetteer, Place
from processors.geo.names import consonant_key, fold, loose_key, normal_key, skeletons, without_head
from processors.geo.resolve import MIN_SKELETON_SIMILARITY, Mention, similarity
from processors.lexicon import Lexicon

MAX_NAME_TOKENS = 6
MAX_RELEVANCE_WORDS = 4


def _name_like(token: Token, lex: Lexicon) -> bool:
    text = token.text
    return bool(text) and (text[0].isupper() or text.lower() in lex.name_linkers) and not token.is_space


_JOINERS = frozenset({"-", "'", "’", "`"})


def _joiner(token: Token) -> bool:
    """A hyphen or apostrophe glued inside a name ("Jisr-Ash-Shugur", "Ja'far" split as "Ja" + "'far")."""
    glued = token.i > 0 and not token.doc[token.i - 1].whitespace_
    return glued and (token.text in _JOINERS or (token.text[:1] in {"'", "’"} and token.text[1:].isalpha()))


def _after_place_word(span: Span, lex: Lexicon) -> bool:
    """A name after "in", "near", "between"... is said to be a place."""
    return span.start > 0 and span.doc[span.start - 1].lower_ in lex.place_preceders


def _place_context(span: Span, lex: Lexicon) -> bool:
    """Context that makes a loosely matched name a place: a preposition before, a place noun after, or a
    toponym head word ("Kafr", "Tall", "Khirbet"...)."""
    doc = span.doc
    if span[0].lower_ in lex.toponym_heads:
        return True
    if _after_place_word(span, lex) or (
        span.start > 1 and doc[span.start - 2].lower_ in {"of", "town", "village", "city"}
    ):
        return True
    return span.end < len(doc) and doc[span.end].lower_ in lex.place_nouns


def _blocked_tokens(doc: Doc) -> set[int]:
    """Tokens of armed groups' names. The pipeline runs no entity recogniser (processors/nlp.py `lighten`): the small
    model tagged many Arabic village names PERSON or CARDINAL ("pounded Dana", "3 Zurzur, 3 Ejaz"), hiding them."""
    return {i for span in doc.spans.get("actors", []) for i in range(span.start, span.end)}


def _runs(doc: Doc, taken: set[int], lex: Lexicon) -> list[tuple[int, int]]:
    """Runs of name-like tokens (a capitalised start, then names, linkers and glued joiners) within a sentence.
    Reads each token's attributes once (the per-token Python work is the place tagger's main cost on short texts)."""
    rows = [(t.text, t.whitespace_, t.is_space, t.is_sent_end) for t in doc]
    runs: list[tuple[int, int]] = []
    start: int | None = None
    glued = False  # no white space between the previous token and this one
    for i, (text, space, is_space, sent_end) in enumerate(rows):
        name_like = bool(text) and (text[0].isupper() or text.lower() in lex.name_linkers) and not is_space
        joiner = glued and (text in _JOINERS or (text[:1] in {"'", "’"} and text[1:].isalpha()))
        ok = i not in taken and (name_like or (start is not None and joiner))
        if ok and start is None and text[0].isupper():
            start = i
        elif not ok and start is not None:
            runs.append((start, i))
            start = None
        if sent_end and start is not None:
            runs.append((start, i + 1))
            start = None
        glued = not space
    if start is not None:
        runs.append((start, len(doc)))
    return runs


def name_runs(doc: Doc, taken: set[int], lex: Lexicon) -> Iterator[tuple[int, int, int]]:
    """(start, end, name_end) of each run of capitalised words that is not an armed group's name; name_end drops
    trailing feature words ("Foah Farms": the name is "Foah")."""
    for run_start, run_end in _runs(doc, taken, lex):
        run_words = {t.lower_ for t in doc[run_start:run_end]}
        if run_words & lex.group_heads or (run_start > 0 and doc[run_start - 1].lower_ in lex.group_heads):
            continue  # "Hamza Division", "Jaysh al-Izza": an armed group's name
        name_end = run_end
        while name_end > run_start + 1 and doc[name_end - 1].lower_ in lex.place_nouns:
            name_end -= 1
        yield run_start, run_end, name_end


def _named_as_place(token: Token) -> bool:
    """ "the town of Has", "Has village": even a common word is a name here."""
    doc = token.doc
    before = span_text(doc[max(0, token.i - 2) : token.i]).lower()
    after = doc[token.i + 1].lower_ if token.i + 1 < len(doc) else ""
    return before in {"town of", "village of", "city of"} or after in {"town", "village", "city"}


def _acceptable_single(token: Token, lex: Lexicon) -> bool:
    lower = token.lower_
    if lower in lex.common_words or lower in lex.foreign_places or len(lower) < 3 or token.like_num:
        return False
    if token.is_stop:
        return _named_as_place(token)
    return not (token.is_sent_start and token.pos_ not in {"PROPN"})


def _near_miss(span: Span, gaz: Gazetteer, lex: Lexicon) -> list[tuple[Place, bool]]:
    """A one- or two-word name that matched nothing, said to be a place ("Hatamiyeh village", "in Hatamiyeh"):
    the one region place it spells with one consonant missing, if there is exactly one."""
    words = {t.lower_ for t in span}
    if len(span) > 2 or words & (lex.common_words | lex.foreign_places | lex.toponym_heads):
        return []
    if not _place_context(span, lex):
        return []
    return [(place, False) for place in gaz.near_miss(span_text(span))]


def find_mentions(doc: Doc, gaz: Gazetteer, lex: Lexicon, curated: Sequence[Span]) -> list[Mention]:
    """Curated alias matches plus gazetteer names (exact, loose, skeleton, near-miss), longest name first, in text
    order; each with every place it may mean."""
    blocked = _blocked_tokens(doc)
    curated_tokens = {i for span in curated for i in range(span.start, span.end)}
    raw: list[tuple[Span, list[tuple[Place, bool]]]] = [(span, [(gaz.places[span.label_], True)]) for span in curated]
    for run_start, run_end, name_end in name_runs(doc, blocked | curated_tokens, lex):
        i = run_start
        while i < run_end:
            if not doc[i].text[0].isupper() or _joiner(doc[i]) or doc[i].lower_ in lex.group_heads:
                i += 1
                continue
            found = _longest_match(doc, gaz, lex, i, run_start, run_end, name_end)
            if found is not None:
                raw.append(found)
                i = found[0].end
            elif i == run_start and (near := _near_miss(doc[run_start:name_end], gaz, lex)):
                raw.append((doc[run_start:name_end], near))
                i = name_end
            else:
                i += 1
    raw.sort(key=lambda item: item[0].start)
    return [Mention(s.start, s.end, s.start_char, s.end_char, span_text(s), tuple(candidates)) for s, candidates in raw]


def _longest_match(
    doc: Doc, gaz: Gazetteer, lex: Lexicon, i: int, run_start: int, run_end: int, name_end: int
) -> tuple[Span, list[tuple[Place, bool]]] | None:
    for j in range(min(run_end, i + MAX_NAME_TOKENS), i, -1):
        span = doc[i:j]
        if span[-1].text in {"-", "'"} or (span[-1].text.lower() in lex.name_linkers and len(span) > 1):
            continue
        words = [t for t in span if not _joiner(t)]
        if len(words) == 1 and (not _acceptable_single(words[0], lex) or words[0].lower_ in lex.toponym_heads):
            continue
        if any(t.lower_ in lex.foreign_places for t in words):
            continue
        context = _place_context(span, lex)
        allow_loose = context and (len(words) > 1 or words[0].pos_ == "PROPN" or _named_as_place(words[0]))
        phrase = span_text(span)
        candidates = gaz.lookup(phrase, allow_skeleton=allow_loose)
        shorter = without_head(phrase)
        if not candidates and shorter and len(words) > 1:  # "Eastern Sarja" -> "Sarja"
            candidates = [(p, False) for p, _ in gaz.lookup(shorter, allow_skeleton=allow_loose)]
        partial = (j - i) < (name_end - run_start)  # "Hersh" of "Hersh Banin": part of a longer name
        candidates = [
            (p, exact) for p, exact in candidates
            if exact or (not partial and similarity(gaz, shorter or phrase, p) >= MIN_SKELETON_SIMILARITY)
        ]  # fmt: skip
        if candidates:
            return span, candidates
    return None


def text_of(doc: Doc) -> str:
    """doc.text, built once per Doc (spaCy joins every token each time the property is read)."""
    text = doc.user_data.get("idlib_text")
    if text is None:
        text = doc.user_data["idlib_text"] = doc.text
    return text


def span_text(span: Span) -> str:
    """span.text, cut from the cached doc text (Span.text builds a Token object for each of its tokens)."""
    return text_of(span.doc)[span.start_char : span.end_char]


def names_region(doc: Doc, gaz: Gazetteer, lex: Lexicon, keys: tuple[frozenset[str], ...]) -> bool:
    """The relevance test, before the model runs (doc is only tokenised): the text names the region, or a name run
    of the finder matches one of the region's places exactly, vowel-insensitively or by consonant skeleton.
    Deliberately looser than find_mentions: it decides only whether the model runs."""
    if lex.region_pattern.search(fold(text_of(doc))):
        return True
    exact, loose, skeleton = keys
    for run_start, run_end, _ in name_runs(doc, set(), lex):
        words = _words(doc, run_start, run_end)
        named_place = run_start >= 2 and span_text(doc[run_start - 2 : run_start]).lower() in {
            "town of", "village of", "city of",
        }  # fmt: skip
        for n in range(min(MAX_RELEVANCE_WORDS, len(words)), 0, -1):
            for k in range(len(words) - n + 1):
                phrase = span_text(doc[words[k][0] : words[k + n - 1][1]]).replace("-", " ")
                if normal_key(phrase) in exact or loose_key(phrase) in loose:
                    return True
                shortest = 3 if n > 1 or named_place else 4  # 3 consonants: a two-word name, or "town of X"
                consonants = consonant_key(phrase)
                if len(consonants) >= shortest and consonants in loose:
                    return True
                if any(len(s) >= shortest for s in skeletons(phrase) & skeleton):
                    return True
    return False


def _words(doc: Doc, start: int, end: int) -> list[tuple[int, int]]:
    """Token ranges of the words of a run, a glued apostrophe staying with its word ("Ma'arrat")."""
    words: list[tuple[int, int]] = []
    for token in doc[start:end]:
        if token.text == "-":
            continue
        if words and _joiner(token):
            words[-1] = (words[-1][0], token.i + 1)
        else:
            words.append((token.i, token.i + 1))
    return words
