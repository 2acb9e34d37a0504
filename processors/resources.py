"""The one immutable bundle of curated data (gazetteer, admin areas, curated places, actors, lexicon, event rules),
loaded and validated once from one data folder and injected into the pipeline, the extractor and the worker."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources as package_files
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ingest.contract.errors import ConfigurationError
from processors.actors import ActorSpec, ActorType
from processors.events import EventRules, EventsFile
from processors.geo.gazetteer import AdminArea, CuratedPlace, Gazetteer, build_gazetteer, curated_id
from processors.lexicon import Lexicon, LexiconFile

FILES = ("places.tsv", "admin_areas.tsv", "curated_places.yaml", "actors.yaml", "lexicon.yaml", "events.yaml")
PLACE_COLUMNS = ("place_id", "name", "admin1", "lat", "lon", "feature", "population", "source", "latin_names",
                 "arabic_names")  # fmt: skip
ADMIN_COLUMNS = ("admin1", "admin2", "admin3", "lat", "lon")
Model = TypeVar("Model", bound=BaseModel)


class CuratedSpec(BaseModel):
    """One entry of curated_places.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    name: str
    aliases: list[str]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    admin1: str
    kind: Literal["road", "region", "base", "crossing", "governorate", "town"]
    geo_precision: Literal[1, 2, 3]


@dataclass(frozen=True, eq=False)
class Resources:
    """Everything the extraction rules consult. Built by load_resources; never mutated."""

    folder: str  # the data folder that overrides packaged files ("" when all are packaged)
    gazetteer: Gazetteer
    curated: tuple[CuratedPlace, ...]
    actors: tuple[ActorType, ...]
    lexicon: Lexicon
    rules: EventRules

    @property
    def government_camp(self) -> frozenset[str]:
        return frozenset(a.name for a in self.actors if a.government_camp)

    def actor(self, name: str) -> ActorType:
        return next(a for a in self.actors if a.name == name)


def packaged_dir() -> Path:
    return Path(str(package_files.files("processors") / "data"))


def _path(folder: Path | None, name: str) -> Path:
    """A file of the data folder when it has one, else the packaged one: a folder may override only some files."""
    if folder is not None and (folder / name).exists():
        return folder / name
    return packaged_dir() / name


def _fail(path: Path, line: int | None, message: str) -> ConfigurationError:
    where = f"{path}, line {line}" if line else str(path)
    return ConfigurationError(f"bad data file {where}: {message}")


def _node_line(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the YAML node a pydantic error location points to (as deep as the location goes)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def read_yaml(path: Path, model: type[Model], wrap: str | None = None) -> Model:
    """Parse and validate a YAML file; errors name the file and line. wrap: the model field a top-level list is."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise _fail(path, None, f"unreadable: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _fail(path, mark.line + 1 if mark else None, str(exc).replace("\n", " ")) from exc
    try:
        return model.model_validate({wrap: data} if wrap else data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = list(first.get("loc", ()))[1:] if wrap else list(first.get("loc", ()))
        where = ".".join(str(p) for p in loc) or "(top level)"
        raise _fail(path, _node_line(node, loc), f"{where}: {first.get('msg')}") from exc


def _read_tsv(path: Path, columns: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows with their 1-based line numbers; a missing column or a ragged row names the file and line."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
            missing = set(columns) - set(reader.fieldnames or ())
            if missing:
                raise _fail(path, 1, f"header lacks columns {sorted(missing)}")
            rows = []
            for number, row in enumerate(reader, start=2):
                if None in row or any(row.get(c) is None for c in columns):
                    raise _fail(path, number, f"expected {len(reader.fieldnames or ())} tab-separated fields")
                rows.append((number, row))
            return rows
    except OSError as exc:
        raise _fail(path, None, f"unreadable: {exc}") from exc


def _floats(path: Path, number: int, row: dict[str, str], names: Sequence[str]) -> None:
    for name in names:
        try:
            float(row[name])
        except ValueError:
            raise _fail(path, number, f"{name} {row[name]!r} is not a number") from None


class _Curated(BaseModel):
    places: list[CuratedSpec]


class _Actors(BaseModel):
    actors: list[ActorSpec] = Field(min_length=1)


def load_resources(folder: str | None = None) -> Resources:
    """Load and validate every data file once per folder (None or "": the packaged data), so every holder of a
    folder's resources holds the same object. A bad file raises ConfigurationError naming it and its line."""
    return _load(str(Path(folder).expanduser().resolve()) if folder else "")


@lru_cache(maxsize=8)
def _load(folder: str) -> Resources:
    base = Path(folder) if folder else None
    if base is not None and not base.is_dir():
        raise ConfigurationError(f"data folder {folder!r} does not exist")
    lexicon_file = read_yaml(_path(base, "lexicon.yaml"), LexiconFile)
    lexicon = Lexicon.from_file(lexicon_file)
    rules = EventRules.from_file(read_yaml(_path(base, "events.yaml"), EventsFile))
    actors = tuple(ActorType.from_spec(s) for s in read_yaml(_path(base, "actors.yaml"), _Actors, "actors").actors)
    curated_path = _path(base, "curated_places.yaml")
    specs = read_yaml(curated_path, _Curated, "places").places
    curated = tuple(CuratedPlace(s.name, tuple(s.aliases), s.lat, s.lon, s.admin1, s.kind, s.geo_precision)
                    for s in specs)  # fmt: skip
    if not any(c.kind == "governorate" and c.admin1 == lexicon.region for c in curated):
        raise _fail(curated_path, None, f"no governorate entry for the region {lexicon.region!r}")
    ids = [curated_id(c.name) for c in curated]
    if len(set(ids)) != len(ids):
        raise _fail(curated_path, None, "two curated places fold to the same name")
    admin_path = _path(base, "admin_areas.tsv")
    areas = []
    for number, row in _read_tsv(admin_path, ADMIN_COLUMNS):
        _floats(admin_path, number, row, ("lat", "lon"))
        areas.append(AdminArea(row["admin1"], row["admin2"], row["admin3"], float(row["lat"]), float(row["lon"])))
    if not areas:
        raise _fail(admin_path, None, "no admin areas")
    places_path = _path(base, "places.tsv")
    rows = _read_tsv(places_path, PLACE_COLUMNS)
    for number, row in rows:
        _floats(places_path, number, row, ("lat", "lon"))
        if row["population"] and not row["population"].isdigit():
            raise _fail(places_path, number, f"population {row['population']!r} is not a whole number")
    gazetteer = build_gazetteer(lexicon.region, (row for _, row in rows), tuple(areas), curated)
    return Resources(folder=str(base or ""), gazetteer=gazetteer, curated=curated, actors=actors, lexicon=lexicon,
                     rules=rules)  # fmt: skip


def describe(res: Resources) -> dict[str, Any]:
    """Counts for the start-up log line."""
    return {"data_dir": res.folder or "(packaged)", "places": len(res.gazetteer.places), "actors": len(res.actors),
            "event_rules": len(res.rules.rules)}  # fmt: skip
