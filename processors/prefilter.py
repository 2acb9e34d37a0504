"""The prefilter: could this text be about the region? Decided on the raw text, before any spaCy work (pure).

It is deliberately looser than the relevance test (geo/mentions.names_region), which tokenises: it may pass a text
that test then drops, but it must never drop one that test would pass. It looks at the region's spellings anywhere in
the folded text, then at runs of capitalised words ("Ma'arrat al-Nu'man", "Jisr Ash-Shugur") and their sub-phrases
of up to MAX_RELEVANCE_WORDS words, with the same exact, vowel-insensitive and consonant-skeleton keys of the region's
places and the same key lengths (3, or 4 for one word that does not follow "town of"). One word alone that is a common word (a month, a nationality,
"Armed") or shorter than four letters passes only by an exact name: the loose keys of such words collide with
village names and would let every text through. Nor does a phrase that spells another governorate, district or
sub-district ("Hama", "Dar'a", "Ras al-Ain") pass by a loose key, or a run that names an armed group ("Ahrar al-Sham", "Hamza Division").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from processors.geo.gazetteer import Gazetteer
from processors.geo.mentions import MAX_RELEVANCE_WORDS
from processors.geo.names import consonant_key, fold, loose_key, normal_key, skeletons
from processors.lexicon import Lexicon

_WORD = re.compile(r"[^\W\d_][\w'’`]*")
_GAP = re.compile(r"[ \t\-]*")  # what may stand between two words of one name: spaces, a hyphen
MIN_KEY = 3
MIN_KEY_ONE_WORD = 4  # one word alone needs a longer key, unless it follows "town of", "village of", "city of"
_NAMED_PLACE = re.compile(r"\b(?:town|village|city) of\s*$", re.I)


@dataclass(frozen=True)
class Prefilter:
    region: re.Pattern[str]
    linkers: frozenset[str]
    common: frozenset[str]  # capitalised words that are no place names on their own (months, nationalities ...)
    groups: frozenset[str]  # words of armed groups' names ("Division", "Army", "Legion"): such a run is no place
    elsewhere: frozenset[str]  # exact and loose keys of other governorates, districts, sub-districts ("Hama", "Dar'a")
    exact: frozenset[str]
    loose: frozenset[str]
    skeleton: frozenset[str]

    @classmethod
    def of(cls, gaz: Gazetteer, lex: Lexicon) -> Prefilter:
        exact, loose, skeleton = gaz.region_keys()
        common = frozenset(lex.common_words) | frozenset(lex.foreign_places) | frozenset(lex.toponym_heads)
        units = {n for a in gaz.admin_areas if a.admin1 != gaz.region for n in (a.admin1, a.admin2, a.admin3) if n}
        units -= {n for a in gaz.admin_areas if a.admin1 == gaz.region for n in (a.admin1, a.admin2, a.admin3) if n}
        elsewhere = frozenset({normal_key(n) for n in units} | {loose_key(n) for n in units}) - exact - {""}
        return cls(lex.region_pattern, frozenset(lex.name_linkers), common, frozenset(lex.group_heads), elsewhere,
                   exact, loose, skeleton)  # fmt: skip

    def passes(self, *texts: str) -> bool:
        return any(self._passes(text) for text in texts if text)

    def _passes(self, text: str) -> bool:
        if self.region.search(fold(text)):
            return True
        return any(self._names_a_place(run, _NAMED_PLACE.search(text, max(0, start - 20), start) is not None)
                   for start, run in self._runs(text))  # fmt: skip

    def _runs(self, text: str) -> list[tuple[int, list[str]]]:
        """(start offset, words) of each run of capitalised words, name linkers ("al", "ash") inside."""
        runs: list[tuple[int, list[str]]] = []
        current: list[str] = []
        start = last_end = -1
        for match in _WORD.finditer(text):
            word = match.group()
            capital = word[0].isupper()
            glued = current and _GAP.fullmatch(text, last_end, match.start()) is not None
            if glued and (capital or word.lower() in self.linkers):
                current.append(word)
            else:
                if current:
                    runs.append((start, current))
                current, start = ([word], match.start()) if capital else ([], -1)
            last_end = match.end()
        if current:
            runs.append((start, current))
        return runs

    def _names_a_place(self, words: list[str], named_place: bool) -> bool:
        if any(w.lower() in self.groups for w in words):
            return False  # "Hamza Division", "Jaysh al-Izza": an armed group's name
        for n in range(min(MAX_RELEVANCE_WORDS, len(words)), 0, -1):
            for k in range(len(words) - n + 1):
                phrase = " ".join(words[k : k + n])
                key = normal_key(phrase)
                if key in self.exact:
                    return True
                if key in self.elsewhere or loose_key(phrase) in self.elsewhere:
                    continue  # another governorate's, district's or sub-district's name: no loose match makes it ours
                if n == 1 and (len(phrase) < MIN_KEY + 1 or phrase.lower() in self.common):
                    continue  # "He", "June", "Russian": their loose keys collide with village names
                if loose_key(phrase) in self.loose:
                    return True
                shortest = MIN_KEY if n > 1 or named_place else MIN_KEY_ONE_WORD
                consonants = consonant_key(phrase)
                if len(consonants) >= shortest and consonants in self.loose:
                    return True
                if any(len(s) >= shortest for s in skeletons(phrase) & self.skeleton):
                    return True
        return False
