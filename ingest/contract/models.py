"""Message contract v1: the Article and Incident models every service reads and writes."""

from __future__ import annotations

import datetime as _dt
import hashlib
from datetime import date
from typing import Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION: Literal[1] = 1
SUPPORTED_SCHEMA_VERSIONS = frozenset({SCHEMA_VERSION})

# ACLED event taxonomy, spelled exactly as ACLED spells it.
TAXONOMY: dict[str, tuple[str, ...]] = {
    "Battles": ("Armed clash", "Government regains territory", "Non-state actor overtakes territory"),
    "Explosions/Remote violence": (
        "Chemical weapon",
        "Air/drone strike",
        "Suicide bomb",
        "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED",
        "Grenade",
    ),
    "Violence against civilians": ("Sexual violence", "Attack", "Abduction/forced disappearance"),
    "Protests": ("Peaceful protest", "Protest with intervention", "Excessive force against protesters"),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Strategic developments": (
        "Agreement",
        "Arrests",
        "Change to group/activity",
        "Disrupted weapons use",
        "Headquarters or base established",
        "Looting/property destruction",
        "Non-violent transfer of territory",
        "Other",
    ),
}

EventType = Literal[
    "Battles",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Protests",
    "Riots",
    "Strategic developments",
]
SubEventType = Literal[
    "Armed clash",
    "Government regains territory",
    "Non-state actor overtakes territory",
    "Chemical weapon",
    "Air/drone strike",
    "Suicide bomb",
    "Shelling/artillery/missile attack",
    "Remote explosive/landmine/IED",
    "Grenade",
    "Sexual violence",
    "Attack",
    "Abduction/forced disappearance",
    "Peaceful protest",
    "Protest with intervention",
    "Excessive force against protesters",
    "Violent demonstration",
    "Mob violence",
    "Agreement",
    "Arrests",
    "Change to group/activity",
    "Disrupted weapons use",
    "Headquarters or base established",
    "Looting/property destruction",
    "Non-violent transfer of territory",
    "Other",
]


def stable_id(*parts: str, length: int = 32) -> str:
    """A stable hex id from text parts: replays and restarts produce the same key."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Article(_Message):
    """One cleaned news article, as published by the ingest service (key: article_id)."""

    article_id: str = Field(
        pattern=r"^[0-9a-f]{32}$",
        description="Stable hash of canonical_url at the article's first publication (32 hex characters); "
        "kept by later revisions, also when the canonical URL rule changes.",
    )
    url: str = Field(description="The link as the feed gave it.")
    canonical_url: str = Field(
        description="Canonicalised link: lower-case scheme/host, no tracking params or fragment."
    )
    feed_id: str
    source_name: str
    title: str
    text: str = Field(min_length=1, description="Cleaned body text; never empty.")
    author: str | None = None
    language: str | None = None
    published_at: AwareDatetime | None = None
    fetched_at: AwareDatetime
    content_hash: str = Field(description="SHA-256 of text.")
    revision: int = Field(default=1, ge=1, description="1, then +1 each time the article's text changes.")
    text_source: Literal["page", "feed_summary"] = Field(
        default="page",
        description="Where the text came from: the cleaned page, or the feed's summary as a fallback.",
    )
    duplicate_of: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{32}$",
        description="article_id of the first article this one copies (wire copy republished by another outlet, "
        "found by MinHash similarity); the copy is still published and counts as one source with its original.",
    )
    schema_version: Literal[1] = SCHEMA_VERSION

    @staticmethod
    def id_for(canonical_url: str) -> str:
        return stable_id(canonical_url)


class Location(_Message):
    name: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    admin1: str | None = None
    admin2: str | None = None
    admin3: str | None = None
    geo_precision: Literal[1, 2, 3] = Field(
        description="ACLED: 1 the town itself, 2 near/part of a region, 3 larger region."
    )


class Actor(_Message):
    name: str
    role: Literal["actor1", "actor2", "associated"]


class Evidence(_Message):
    sentence: str
    start: int = Field(ge=0, description="Character offset of the sentence in the article text.")
    end: int = Field(ge=0)


class Source(_Message):
    url: str | None = None
    title: str | None = None
    published_at: AwareDatetime | None = None
    source_name: str | None = None


Classified = TypeVar("Classified", "Incident", "Event")


def _classified(model: Classified) -> Classified:
    """The shared check of Incident and Event: the sub-event type is one of the event type's (ACLED's taxonomy)."""
    if model.sub_event_type not in TAXONOMY[model.event_type]:
        raise ValueError(f"sub_event_type {model.sub_event_type!r} is not a kind of {model.event_type!r}")
    return model


class Incident(_Message):
    """One incident found in an article (key: incident_id)."""

    incident_id: str = Field(description="Stable hash of article_id, date, event type, place and evidence offsets.")
    article_id: str
    event_type: EventType
    sub_event_type: SubEventType
    rule_id: str | None = Field(
        default=None, description="Id of the event rule (processors/data/events.yaml) that set the type."
    )
    date: date
    date_precision: Literal["day", "week", "month"]
    date_end: _dt.date | None = Field(
        default=None, description='Last day of a multi-day event the text dates as a range ("from 3 to 5 March").'
    )
    location: Location | None
    actors: list[Actor] = Field(default_factory=list)
    killed: int | None = Field(default=None, ge=0, description="null when the text says nothing, 0 when none died.")
    injured: int | None = Field(default=None, ge=0)
    kidnapped: int | None = Field(default=None, ge=0)
    weapons: list[str] = Field(default_factory=list)
    evidence: Evidence
    more_evidence: list[Evidence] = Field(
        default_factory=list, description="Other sentences of the article that report the same event (headline, lede)."
    )
    confidence: float = Field(ge=0, le=1)
    source: Source
    schema_version: Literal[1] = SCHEMA_VERSION

    @model_validator(mode="after")
    def _sub_event_belongs(self) -> Incident:
        return _classified(self)


class ArticleSnapshot(_Message):
    """Every incident one revision of an article reports (key: article_id, compacted topic): an empty list when the
    revision reports none; a tombstone (no value) when the article is withdrawn. A later revision replaces it."""

    article_id: str
    revision: int = Field(default=1, ge=1)
    url: str | None = None
    source_name: str | None = None
    published_at: AwareDatetime | None = None
    region: str = Field(description="The partition key of the consolidation stage (admin1 of the stream's region).")
    duplicate_of: str | None = Field(
        default=None, description="The Article's duplicate_of: the article this one copies (one source with it)."
    )
    incidents: list[Incident] = Field(default_factory=list)
    schema_version: Literal[1] = SCHEMA_VERSION


class EventSource(_Message):
    """One article that reports an event, with what it says of it."""

    article_id: str
    incident_id: str
    url: str | None = None
    outlet: str | None = None
    published_at: AwareDatetime | None = None
    duplicate_of: str | None = Field(default=None, description="Set when this article copies another one.")
    evidence: str
    killed: int | None = None
    injured: int | None = None


class Event(_Message):
    """One real event, consolidated from the incidents of every article and outlet that reports it (key: event_id,
    compacted topic; a tombstone after a retracted event's retention)."""

    event_id: str = Field(description="Set when the event is first seen; unchanged as sources join or leave.")
    status: Literal["active", "retracted"]
    revision: int = Field(ge=1, description="+1 each time a source joins, leaves or is revised.")
    event_type: EventType
    sub_event_type: SubEventType
    date: date
    date_end: _dt.date | None = None
    location: Location | None
    actors: list[Actor] = Field(default_factory=list)
    killed: int | None = Field(
        default=None, description="The lowest figure a source gives (ACLED's conservative rule)."
    )
    injured: int | None = None
    figure_rule: Literal["lowest_reported"] = "lowest_reported"
    sources: list[EventSource] = Field(default_factory=list)
    source_count: int = Field(
        ge=0, description="Independent sources: distinct outlets, a copy counting with the article it copies."
    )
    article_count: int = Field(ge=0)
    first_reported_at: AwareDatetime | None = None
    last_updated_at: AwareDatetime | None = None
    confidence: float = Field(ge=0, le=1)
    schema_version: Literal[1] = SCHEMA_VERSION

    @model_validator(mode="after")
    def _sub_event_belongs(self) -> Event:
        return _classified(self)
