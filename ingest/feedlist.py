"""The feed list (YAML), validated at start-up: a bad file stops the service before it fetches anything."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from ingest.contract.errors import ConfigurationError


class FeedConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="metric label and Article.feed_id")
    url: HttpUrl
    source_name: str = Field(min_length=1)
    language: str = Field(default="en", pattern=r"^[a-z]{2}$")
    poll_interval_seconds: float = Field(default=900, ge=5, le=86_400)


class FeedList(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    feeds: list[FeedConfig] = Field(min_length=1)

    @field_validator("feeds")
    @classmethod
    def _unique_ids(cls, feeds: list[FeedConfig]) -> list[FeedConfig]:
        ids = [f.id for f in feeds]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate feed ids: {duplicates}")
        return feeds


def load_feeds(path: str | Path) -> list[FeedConfig]:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return FeedList.model_validate(raw).feeds
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"feed list {path} unreadable: {exc}") from exc
    except ValidationError as exc:
        raise ConfigurationError(f"feed list {path} invalid: {exc}") from exc
