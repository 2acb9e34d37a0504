"""Counts killed, injured and kidnapped people in incident text (pure). None: not said; 0: said none.

Number words are read by text2num (alpha2digit: "Twenty-three" -> 23, "a hundred and twelve" -> 112); only the
words it leaves alone ("a", "one", "a couple", "a dozen") are read here. Vague quantities follow the ACLED codebook's
fatality conventions (section "Reported fatalities": "dozens" is coded 12, "hundreds" 100, and an unstated plural
such as "several" or "many" 10, the figure the dev notes show as "unknown number of fatalities coded to 10")."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from text_to_num.transforms import alpha2digit

NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "another": 1, "dozen": 12, "couple": 2, "pair": 2}
VAGUE_QUANTITIES = {"dozens": 12, "hundreds": 100, "several": 10, "many": 10, "scores": 20}
_HUNDRED_AND = re.compile(r"\b(hundred|thousand)\s+and\s+(?=[a-z])", re.I)
_A_HUNDRED = re.compile(r"\ba\s+(hundred|thousand)\b", re.I)
# every English cardinal is built from these words (text2num reads nothing else as a number)
_NUMBER_WORD = re.compile(
    r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|"
    r"billion)\b",
    re.I,
)
_ARTICLE_NUMBERS = frozenset({"a", "an", "another"})
KILLED = "killed"
INJURED = "injured"
KIDNAPPED = "kidnapped"
_VERBS = {
    KILLED: r"killed|died|dead|killing|kills|kill|fatalities|fatality|deaths|death|lost (?:his|her|their) li(?:fe|ves)|"
    r"assassinated|executed|slain|shot dead|perished|bodies|body|beheaded|murdered",
    INJURED: r"injured|wounded|injuring|wounding|injuries|injury|hurt|wounds|injures|wounds|maimed",
    KIDNAPPED: r"abducted|kidnapped|abducting|kidnapping|abduction|taken hostage|held hostage|seized",
}
_VERB_RE = {kind: re.compile(rf"^(?:{pattern})\b", re.I) for kind, pattern in _VERBS.items()}
_PERSON = re.compile(
    r"^(?:people|persons?|civilians?|soldiers?|fighters?|members?|m[ae]n|wom[ae]n|child(?:ren)?|rebels?|"
    r"militiam[ae]n|militants?|volunteers?|workers?|staff|drivers?|gunmen|gunman|elements?|troops?|personnel|"
    r"officers?|officials?|commanders?|nurses?|doctors?|employees?|boys?|girls?|others?|residents?|farmers?|shepherds?|"
    r"individuals?|recruits?|policem[ae]n|guards?|journalists?|activists?|paramedics?|rescuers?|teenagers?|"
    r"infants?|brothers?|sons?|daughters?|relatives?|leaders?|jihadists?|of them|more|mercenar(?:y|ies)|"
    r"detainees?|prisoners?|operatives?|conscripts?|defectors?|youths?|students?|patients?|judges?|lawyers?|"
    r"sheikhs?|imams?|mukhtars?|teachers?|babies|baby|toddlers?|non-combatants?|victims?|mothers?|fathers?|"
    r"husbands?|wives|wife|sisters?|grandchild(?:ren)?|emirs?|guerrillas?|jihadis)\b",
    re.I,
)
# What a number counts when it is not people: "3 raids which resulted in the death of a woman" is one death
_THING = re.compile(
    r"^(?:raids?|(?:air)?strikes?|shells?|rockets?|missiles?|barrels?|bombs?|mortars?|rounds?|sorties|projectiles?|"
    r"explosions?|attacks?|mines?|drones?|warplanes?|helicopters?|jets?|planes?|vehicles?|cars?|tanks?|houses?|homes?|"
    r"buildings?|shops?|positions?|posts?|points?|villages?|towns?|areas?|places?|sites?|times|days?|hours?|minutes?|"
    r"weeks?|months?|years?|km|kilomet(?:re|er)s?|met(?:re|er)s?|miles?)$",
    re.I,
)
# a headline's bare singular: "Turkish forces kill woman near their post", "Sniper shoots dead child"
_BARE_VICTIM = re.compile(
    r"\b(?:kills?|killed|shoots? dead|shot dead|executes?|executed)\s+(?:young\s+|elderly\s+)?"
    r"(?:woman|man|child|boy|girl|civilian|soldier|fighter|shepherd|farmer|teenager|youth|commander|leader|teacher|"
    r"doctor|nurse|judge|journalist|activist|driver|policeman|officer|worker|student|paramedic|imam|mukhtar)\b"
    r"(?!\s+(?:and|with|of)\b)",
    re.I,
)
_THE_OTHER = re.compile(r"\bthe other (?=(?:was|is|had been|has been)\b)", re.I)
_TOKEN = re.compile(r"\d+(?:,\d{3})*|[A-Za-z][A-Za-z'-]*|[.;:!?,()]")
_ZERO = [
    (re.compile(r"\b(?:neither|no) (?:injuries|injured|wounded|casualties) (?:n?or|and) (?:fatalities|deaths|dead)\b", re.I),
     (KILLED, INJURED)),
    (re.compile(r"\b(?:neither|no) (?:fatalities|deaths|dead) (?:n?or|and) (?:injuries|injured|wounded|casualties)\b", re.I),
     (KILLED, INJURED)),
    (re.compile(r"\b(?:no|without(?: any)?|zero) (?:casualties|victims|human losses|one was (?:hurt|harmed))\b", re.I),
     (KILLED, INJURED)),
    (re.compile(r"\bno(?: one| one was| person was)? (?:fatalities|deaths|killed|dead)\b|\bno one (?:was )?killed\b", re.I),
     (KILLED,)),
    (re.compile(r"\bno (?:injuries|injured|wounded)\b|\bno one (?:was )?(?:injured|wounded)\b", re.I), (INJURED,)),
]  # fmt: skip
_TOTAL = re.compile(
    r"\b(?:total|overall) (?:number of )?fatalities (?:were |was )?(?:coded|put|counted|stand) (?:to|as|at) (\d+)|"
    r"(?:^|[.;]\s+)(\d+) fatalit(?:y|ies)(?: (?:were |was )?(?:reported|recorded))?\s*[.;]?\s*$",
    re.I | re.M,
)
# "the death toll of the strike rose to 5", "raising the number of the dead to 4": one event's updated total
_TOLL_UPDATE = re.compile(
    r"\b(?:death toll|toll|number of (?:the )?(?:dead|deaths|killed|fatalities|casualties|people killed))\b[^.;]{0,60}?"
    r"\b(?:rose|risen|rises|climbed|increased|reached|raised|raising|raises|bringing|brought)?\s*to\s+(?:at least\s+)?"
    r"(\d+)(?!\s*(?:\w+\s+)?(?:injured|wounded))",
    re.I,
)
_COUNT_RAISED = re.compile(  # "raise the number of casualties who were killed by the drone strike ... to 5 casualties"
    r"\bnumber of (?:the )?(?:casualties|dead|deaths|people killed|those killed|martyrs)\b[^.;]{0,200}?"
    r"\bto\s+(?:at least\s+)?(\d+)\s+(?:at least\s+)?(?:casualties|people|persons|civilians|members|fighters|dead|"
    r"martyrs|deaths)\b(?!\s*(?:injured|wounded))",
    re.I,
)
_WINDOW = 12
# "between one and three were killed": the conservative end (ACLED codes the lowest figure of a range)
_BETWEEN = re.compile(r"\bbetween (\d+|one) (?:and|to) \d+\b", re.I)
# "20 were killed and injured": the split is not said, so neither figure is
_KILLED_AND_INJURED = re.compile(r"\s(?:killed|dead) (?:and|or) (?:injured|wounded)\b", re.I)
# "claimed the lives of 9 citizens", "an assassination claimed the life of a commander"
_CLAIMED_LIVES = re.compile(r"\bclaim(?:s|ed|ing)? the li(?:fe|ves) of\b", re.I)
_ASIDE = frozenset({"including", "among", "most", "mostly", "all"})
_SPLIT_EACH = re.compile(r"\bsplit,?\s*(\d+)\s+(?:coded\s+to\s+)?each\b|\bwith\s+(\d+)\s+coded\s+to\s+each\b", re.I)
_SPLIT_LIST = re.compile(r"\bsplit\b[^.:;]*[:;](?P<list>[^.]*)", re.I)


@dataclass(frozen=True)
class Casualties:
    killed: int | None = None
    injured: int | None = None
    kidnapped: int | None = None


_CLAUSE = re.compile(r"[,;.:]|\b(?=(?:what|which|bringing|raising|taking|while|whereas)\b)", re.I)


def without_tallies(sentence: str, tally: re.Pattern[str]) -> str:
    """A sentence cut before the clause that states a cumulative toll ("Five were killed, raising the death toll to
    12" -> "Five were killed,"): a running total, and the breakdown that follows it, is never one incident's count."""
    found = tally.search(sentence)
    if found is None:
        return sentence
    start = 0
    for boundary in _CLAUSE.finditer(sentence, 0, found.start()):
        start = boundary.end()
    return sentence[:start]


def split_share(text: str, place_names: list[str], same_place: Callable[[str, str], bool]) -> int | None:
    """The share of a total that a report assigns to one place: "Total fatalities 15 are split, 5 each, between
    the three locations" -> 5; "split as follows: 3 Ma'aratah, 2 Al-Haraki" -> 2 for Al-Haraki."""
    each = _SPLIT_EACH.search(text)
    if each:
        return int(each.group(1) or each.group(2))
    listed = _SPLIT_LIST.search(text)
    if not listed:
        return None
    for item in re.split(r",|\band\b", listed.group("list")):
        item = item.strip()
        match = re.match(r"^(\d+)\s+(?:in\s+)?(.+)$", item) or re.match(r"^(.+?)\s+(\d+)$", item)
        if not match:
            continue
        number, name = (
            (match.group(1), match.group(2)) if match.group(1).isdigit() else (match.group(2), match.group(1))
        )
        if any(same_place(name, wanted) for wanted in place_names):
            return int(number)
    return None


def parse_number(word: str) -> int | None:
    lowered = word.lower().replace(",", "")
    if lowered.isdigit():
        value = int(lowered)
        return None if 1900 <= value <= 2100 else value
    return NUMBER_WORDS.get(lowered, VAGUE_QUANTITIES.get(lowered))


@lru_cache(maxsize=4096)
def numbers_as_digits(text: str) -> str:
    """Number words as digits ("Twenty-three" -> "23", "a hundred and twelve" -> "112"); ordinals stay words."""
    if not _NUMBER_WORD.search(text):
        return text  # nothing for text2num to read (most sentences): skip its word-by-word pass
    text = _A_HUNDRED.sub(r"one \1", _HUNDRED_AND.sub(r"\1 ", text))
    return alpha2digit(text, "en", ordinal_threshold=10**9)


def _strip_parentheses(text: str) -> str:
    return re.sub(r"\([^)]*\)", lambda m: " " * len(m.group(0)), text)


def _verb_at(tokens: list[str], i: int) -> str | None:
    rest = " ".join(tokens[i : i + 4])
    for kind, pattern in _VERB_RE.items():
        if pattern.match(rest):
            return kind
    return None


def _person_follows(tokens: list[str], i: int) -> bool:
    return any(_PERSON.match(" ".join(tokens[j : j + 2])) for j in range(i + 1, min(len(tokens), i + 6)))


def _count_forward(
    tokens: list[str], i: int, value: int, is_article: bool, person_implied: bool = False
) -> tuple[str, int, int] | None:
    """NUM [person words] [were|was ...] VERB: "two Russian soldiers were wounded"."""
    saw_person = person_implied or (not is_article and tokens[i].isdigit())
    if i + 1 < len(tokens) and _THING.match(tokens[i + 1]):
        return None  # "3 raids ... killed": the number counts raids
    j = i
    limit = min(len(tokens), i + 1 + _WINDOW)
    while j + 1 < limit:
        j += 1
        tok = tokens[j]
        if tok == "," and j + 1 < len(tokens) and tokens[j + 1].lower() in _ASIDE:
            # "five people, including two children, were killed": the aside is part of the five
            closing = next((k for k in range(j + 1, min(len(tokens), j + _WINDOW)) if tokens[k] == ","), None)
            if closing is None:
                return None
            j, limit = closing, min(len(tokens), closing + _WINDOW)
            continue
        if tok in {".", ";", ":", "!", "?", ","} or (parse_number(tok) is not None and tok.lower() not in {"a", "an"}):
            return None
        if _PERSON.match(" ".join(tokens[j : j + 2])):
            saw_person = True
            continue
        kind = _verb_at(tokens, j)
        if kind:
            if j + 1 < len(tokens) and tokens[j + 1].isdigit():
                return None  # "3 members ... in response to killing 22 of its men": the verb is 22's
            return (kind, value, j) if saw_person or j == i + 1 else None
    return None


# "killed a judge and another person", "killing two soldiers and a civilian", "killed along with his driver": a
# victim joined to a counted one shares its verb
_JOINS = frozenset({"and", "with"})
_POSSESSIVES = frozenset({"his", "her", "their"})
_KIN = re.compile(
    r"^(?:wife|husband|son|daughter|brother|sister|mother|father|child|driver|companion|bodyguard|nephew|niece|"
    r"cousin|grandson|granddaughter|friend|colleague|escort|guard|assistant)$",
    re.I,
)
_AUXILIARIES = frozenset({"was", "were", "is", "are", "has", "have", "had", "been", "be", "got"})
_MAX_GAP = 6


def _joined(tokens: list[str], anchor: int, i: int) -> bool:
    """tokens[i] starts a victim joined by "and"/"with" to the one counted at `anchor` (its number or its verb),
    with nothing verb-like in between ("killed two soldiers and arrested a man" joins nothing)."""
    gap = tokens[anchor + 1 : i]
    if gap and gap[-1].lower() in _POSSESSIVES:
        gap = gap[:-1]  # "along with his two sons"
    if not gap or len(gap) > _MAX_GAP or gap[-1].lower() not in _JOINS:
        return False
    for tok in gap:
        lowered = tok.lower()
        if tok in {".", ";", ":", "!", "?", "("} or lowered in _AUXILIARIES or lowered in {"while", "as", "but"}:
            return False
        if lowered.endswith(("ed", "ing")) and not _PERSON.match(tok):
            return False
    return not any(_verb_at(tokens, k) for k in range(anchor + 1, i))  # nor a casualty verb of its own


def _stands_alone(tokens: list[str], end: int) -> bool:
    """Nothing after the victim gives it its own verb ("... and his driver was injured")."""
    rest = tokens[end : end + 3]
    return not rest or (rest[0].lower() not in _AUXILIARIES and _verb_at(tokens, end) is None)


def _count_backward(tokens: list[str], i: int, value: int, max_back: int = 3) -> str | None:
    """VERB-ing NUM / the injury of NUM / killed NUM: "wounding three soldiers", "the death of two"."""
    for back in range(1, max_back + 1):
        j = i - back
        if j < 0:
            return None
        if tokens[j].lower() in {
            "of",
            "at",
            "least",
            "about",
            "around",
            "some",
            "nearly",
            "almost",
            "than",
            "more",
            "the",
        }:  # "the deaths of the two men"
            continue
        kind = _verb_at(tokens, j)
        if kind and tokens[j].lower() == "dead":  # "shot dead a commander", not "dead and 3 injured"
            return kind if j > 0 and tokens[j - 1].lower() == "shot" else None
        return kind if kind and tokens[j].lower() != "bodies" else None
    return None


# every rule below needs one of these words: a text without any (most event sentences) states no casualties
_ANY_CASUALTY_WORD = re.compile(
    rf"\b(?:{'|'.join(_VERBS.values())})\b|casualt|toll|victim|losses|harm|hurt|fatalit|li(?:fe|ves)\b|dead\b|killed",
    re.I,
)


@lru_cache(maxsize=4096)  # a one-sentence group's text is counted again when its incident is made
def count(text: str) -> Casualties:
    """Killed/injured/kidnapped totals stated in text; parenthesised remarks are ignored."""
    if not _ANY_CASUALTY_WORD.search(text):
        return Casualties()
    clean = _BETWEEN.sub(r"\1", numbers_as_digits(_strip_parentheses(text)))
    clean = _KILLED_AND_INJURED.sub(" casualties", clean)
    clean = _CLAIMED_LIVES.sub("killed", clean)
    totals: dict[str, int | None] = {KILLED: None, INJURED: None, KIDNAPPED: None}

    def add(kind: str, value: int) -> None:
        totals[kind] = (totals[kind] or 0) + value

    for pattern, kinds in _ZERO:
        if pattern.search(clean):
            for kind in kinds:
                totals[kind] = totals[kind] or 0
    tokens = _TOKEN.findall(_THE_OTHER.sub("one other ", clean))
    used: set[int] = set()
    last: tuple[str, int] | None = None  # the kind of the last count and where it was made (number or verb)
    for i, tok in enumerate(tokens):
        lowered = tok.lower()
        if _KIN.match(tok) and i > 1 and tokens[i - 1].lower() in _POSSESSIVES:  # one named relative or aide
            own = _verb_at(tokens, i - 2)  # "kidnapped his son"
            if own is None and i + 2 < len(tokens) and tokens[i + 1].lower() in {"was", "is", "got"}:
                own = _verb_at(tokens, i + 2)  # "his driver was wounded"
            if own is not None:
                add(own, 1)
                last = (own, i)
            elif last and _joined(tokens, last[1], i - 1) and _stands_alone(tokens, i + 1):
                add(last[0], 1)  # "and his wife", "along with his driver"
                last = (last[0], i)
            continue
        if lowered == "a" and i + 1 < len(tokens) and tokens[i + 1].lower() in {"dozen", "couple"}:
            continue
        if lowered in {"dozen", "couple"} and i > 0 and tokens[i - 1].lower() == "a":
            value: int | None = NUMBER_WORDS[lowered]
        else:
            value = parse_number(tok)
        if value is None or i in used:
            continue
        after_other = i > 0 and tokens[i - 1].lower() in {"other", "others"}
        if i > 0 and tokens[i - 1].lower() == "the" and lowered == "one":
            continue
        is_article = lowered in _ARTICLE_NUMBERS and lowered != "another"
        if is_article:  # "the death of a civilian"; "killed a judge"
            backward = _count_backward(tokens, i, value, max_back=2) if _person_follows(tokens, i) else None
        else:
            backward = _count_backward(tokens, i, value)
        vague = lowered in VAGUE_QUANTITIES  # the codebook's convention is for fatalities only
        if backward and not (vague and backward != KILLED):
            add(backward, value)
            used.add(i)
            last = (backward, i)
            continue
        forward = _count_forward(tokens, i, value, is_article, person_implied=after_other)
        if forward and not (vague and forward[0] != KILLED):
            add(forward[0], forward[1])
            used.add(i)
            last = (forward[0], forward[2])
            continue
        person = any(_PERSON.match(t) for t in tokens[i + 1 : i + 4])
        if last and person and not vague and _joined(tokens, last[1], i):
            add(last[0], value)  # "killed a judge and another person"
            used.add(i)
            last = (last[0], i)
    if totals[KILLED] is None and _BARE_VICTIM.search(clean):
        totals[KILLED] = 1
    for match in _TOTAL.finditer(clean):
        totals[KILLED] = int(match.group(1) or match.group(2))
    for match in [*_TOLL_UPDATE.finditer(clean), *_COUNT_RAISED.finditer(clean)]:
        totals[KILLED] = max(totals[KILLED] or 0, int(match.group(1)))
    return Casualties(totals[KILLED], totals[INJURED], totals[KIDNAPPED])
