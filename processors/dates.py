"""Finds date expressions in a sentence and resolves them against the publication date (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

import dateparser

Precision = Literal["day", "week", "month"]

_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"(?:[0-2]?\d|3[01])(?:st|nd|rd|th)?"
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_YEAR = r"(?:19|20)\d{2}"
# Most specific first; each alternative is a named group telling its precision.
DATE_RE = re.compile(
    rf"""\b(?:
      (?P<dmy>{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR})
    | (?P<mdy>{_MONTH}\s+{_DAY},?\s+{_YEAR})
    | (?P<iso>{_YEAR}-[01]\d-[0-3]\d)
    | (?P<dm>{_DAY}\s+(?:of\s+)?{_MONTH}(?![\s,]*{_YEAR}))
    | (?P<md>{_MONTH}\s+{_DAY}(?![\d,]*\s*{_YEAR})(?!\s*(?:km|kilomet|people|civilians|fighters|soldiers)))
    | (?P<my>{_MONTH},?\s+{_YEAR})
    | (?P<rel>yesterday|the\s+day\s+before\s+yesterday|today|last\s+night|this\s+morning|tonight|earlier\s+today|
             (?:at\s+)?dawn\s+today|this\s+(?:evening|afternoon))
    | (?P<wd>(?:last\s+)?{_WEEKDAY}(?:\s+(?:morning|evening|night|afternoon))?)
    | (?P<ago>(?:\d{{1,2}}|one|two|three|four|five|six|seven|eight|nine|ten|a|an)\s+(?:days?|hours?)\s+ago)
    | (?P<weeks_ago>(?:\d|one|two|three|a)\s+weeks?\s+ago)
    | (?P<week>(?:earlier\s+)?this\s+week|last\s+week|past\s+week)
    | (?P<before>(?:(?<=killed\s)|(?<=wounded\s)|(?<=injured\s)|(?<=died\s)|(?<=struck\s)|(?<=shelled\s)|(?<=targeted\s)|(?<=bombed\s)|(?<=hit\s))earlier
               (?=\s*(?:[,.;:]|$|(?:in|by|when|while|during|after|as|and|with|near)\b)))
    | (?P<month>last\s+month|this\s+month|(?<=in\s)(?:early|mid|late)?-?\s*{_MONTH}(?!\s+{_DAY}))
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
_PRECISION: dict[str, Precision] = {
    "dmy": "day", "mdy": "day", "iso": "day", "dm": "day", "md": "day", "rel": "day", "wd": "day",
    "week": "week", "month": "month", "my": "month", "ago": "day", "weeks_ago": "week",
    "before": "week",
}  # fmt: skip
_REPORTED_ON = re.compile(
    r"\b(?:published|reported|said|announced|stated|posted|issued|released|wrote|tweeted)\s+(?:on\s+|in\s+)?(?:the\s+)?$",
    re.I,
)
_QUALIFIERS = re.compile(r"\b(?:last|this|morning|evening|night|afternoon|early|mid|late)\b", re.I)
_WEEKDAY_RE = re.compile(_WEEKDAY, re.I)
_WEEKDAY_MENTION = re.compile(rf"(?:last\s+)?{_WEEKDAY}.*", re.I)
_SEPT = re.compile(r"\bsept\b", re.I)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_AGE_DAYS = 400  # an incident report older than this relative to its article is background, not news


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    value: date
    precision: Precision
    end_value: date | None = None  # the last day of a range ("from 3 to 5 March", "between Monday and Wednesday")


@lru_cache(maxsize=4096)  # dateparser is the slow part: the same phrases recur against one publication time
def _resolve(text: str, kind: str, published: datetime) -> date | None:
    cleaned = _QUALIFIERS.sub(" ", text)
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", cleaned).replace(" of ", " ").strip(" -")
    base = published.replace(tzinfo=None)
    if kind == "week":
        return (base - timedelta(days=7 if "last" in text.lower() or "past" in text.lower() else 0)).date()
    if kind == "rel":
        lowered = text.lower()
        if "before yesterday" in lowered:
            return (base - timedelta(days=2)).date()
        if "yesterday" in lowered or "last night" in lowered:
            return (base - timedelta(days=1)).date()
        return base.date()
    if kind == "before":  # "was killed earlier in bombing": before the report, day unknown
        return (base - timedelta(days=1)).date()
    if kind == "ago" and "hour" in text.lower():
        return base.date()  # "5 hours ago": that day (a feed's publication time is often only a date)
    if kind == "month" and text.lower().startswith("last month"):
        first = base.replace(day=1) - timedelta(days=1)
        return first.replace(day=1).date()
    if kind == "month" and text.lower().startswith("this month"):
        return base.replace(day=1).date()
    if kind == "wd":  # "on Tuesday": the latest Tuesday, today when the article is from a Tuesday
        target = _WEEKDAYS.index(_WEEKDAY_RE.search(text).group(0)[:3].lower())  # type: ignore[union-attr]
        back = (base.weekday() - target) % 7
        return (base - timedelta(days=back or (7 if text.lower().startswith("last") else 0))).date()
    strict = _written_date(cleaned, kind, base)
    if strict is not None:
        return strict
    settings = {
        "RELATIVE_BASE": base,
        "PREFER_DATES_FROM": "past",
        "PREFER_DAY_OF_MONTH": "first",
        "DATE_ORDER": "DMY",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    parsed = dateparser.parse(cleaned, languages=["en"], settings=settings)
    if parsed is None:
        return None
    return parsed.date()


# The calendar forms the pattern has already isolated, read by the standard library's strptime (a hundred times
# faster than dateparser, which reads everything else). Year-less forms take the latest such day not after the base.
_FORMATS: dict[str, tuple[str, ...]] = {
    "dmy": ("%d %B %Y", "%d %b %Y"), "mdy": ("%B %d %Y", "%b %d %Y"), "iso": ("%Y-%m-%d",),
    "dm": ("%d %B", "%d %b"), "md": ("%B %d", "%b %d"), "my": ("%B %Y", "%b %Y"), "month": ("%B", "%b"),
}  # fmt: skip


def _written_date(cleaned: str, kind: str, base: datetime) -> date | None:
    formats = _FORMATS.get(kind)
    if not formats:
        return None
    text = _SEPT.sub("sep", " ".join(cleaned.replace(",", " ").replace(".", " ").split()))
    for fmt in formats:
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if "%Y" in fmt:
            return parsed
        try:
            parsed = parsed.replace(year=base.year)
            return parsed if parsed <= base.date() else parsed.replace(year=base.year - 1)
        except ValueError:
            return None  # 29 February outside a leap year: dateparser decides
    return None


# "died of wounds he sustained", "affected by the injury he had": the death is reported now, the event was earlier
DIED_OF_WOUNDS = re.compile(
    r"\b(?:died|dies|succumbed|passed away)\b[^.;]{0,30}?\b(?:of|from|to)\s+(?:his|her|their|the)?\s*"
    r"(?:wounds|injuries|injury)\b|\baffected by (?:the|his|her|their) (?:injury|injuries|wounds)\b",
    re.I,
)


def find_dates(text: str, published: datetime, offset: int = 0) -> list[DateMention]:
    """Every date expression in text that resolves to a day not after publication and not long before it. A death
    from earlier wounds with no date of its own is dated the day before publication at precision week."""
    found = _find_dates(text, published, offset)
    wounds = DIED_OF_WOUNDS.search(text) if not found else None
    if wounds is not None:
        day = (published.replace(tzinfo=None) - timedelta(days=1)).date()
        found = [DateMention(offset + wounds.start(), offset + wounds.end(), wounds.group(0), day, "week")]
    return found


def _find_dates(text: str, published: datetime, offset: int = 0) -> list[DateMention]:
    found: list[DateMention] = []
    for match in DATE_RE.finditer(text):
        kind = match.lastgroup or ""
        if _REPORTED_ON.search(text, max(0, match.start() - 40), match.start()):
            continue  # "the Observatory published on the 22nd of September that ...": when it was told, not done
        value = _resolve(match.group(0), kind, published)
        if value is None:
            continue
        if kind == "month":
            value = value.replace(day=1)
        pub = published.date()
        if value > pub + timedelta(days=1) or (pub - value).days > MAX_AGE_DAYS:
            continue
        found.append(DateMention(offset + match.start(), offset + match.end(), match.group(0), value, _PRECISION[kind]))
    return _ranges(_explicit_over_weekday(found, text, offset), text, offset)


# "from Monday to Wednesday", "between 3 and 5 March", "on 3-5 March": a range of days is one mention with an end
_JOINED = re.compile(r"\s*(?:to|until|till|through|and|-|–)\s*(?:the\s+)?", re.I)
_RANGE_OPENER = re.compile(r"\b(?:from|between)\s+(?:the\s+)?$", re.I)
_LEADING_DAY = re.compile(rf"\b(?:from\s+|between\s+)?(?:the\s+)?({_DAY})\s*(?:-|–|to|until|and)\s*$", re.I)
MAX_RANGE_DAYS = 31


def _ranges(found: list[DateMention], text: str, offset: int) -> list[DateMention]:
    out: list[DateMention] = []
    for mention in found:
        before = text[: mention.start - offset]
        last = out[-1] if out else None
        if (
            last is not None and last.precision == mention.precision == "day" and last.end_value is None
            and _JOINED.fullmatch(text[last.end - offset : mention.start - offset])
            and _RANGE_OPENER.search(text, 0, last.start - offset)
            and 0 < (mention.value - last.value).days <= MAX_RANGE_DAYS
        ):  # fmt: skip
            out[-1] = DateMention(last.start, mention.end, text[last.start - offset : mention.end - offset],
                                  last.value, "day", mention.value)  # fmt: skip
            continue
        leading = _LEADING_DAY.search(before) if mention.precision == "day" else None
        if leading is not None:
            first = int(re.sub(r"\D", "", leading.group(1)))
            if 1 <= first < mention.value.day and mention.value.day - first <= MAX_RANGE_DAYS:
                start = offset + leading.start(1)
                out.append(DateMention(start, mention.end, text[start - offset : mention.end - offset],
                                       mention.value.replace(day=first), "day", mention.value))  # fmt: skip
                continue
        out.append(mention)
    return out


def _explicit_over_weekday(found: list[DateMention], text: str, offset: int) -> list[DateMention]:
    """ "on Tuesday, February 11": the explicit date right after a weekday is the date; the weekday is dropped."""
    out = []
    for k, mention in enumerate(found):
        nxt = found[k + 1] if k + 1 < len(found) else None
        gap = text[mention.end - offset : nxt.start - offset] if nxt else ""
        is_weekday = _WEEKDAY_MENTION.fullmatch(mention.text) is not None
        if is_weekday and nxt is not None and nxt.precision == "day" and re.fullmatch(r"[\s,(]*(?:the\s+)?", gap):
            continue
        out.append(mention)
    return out
