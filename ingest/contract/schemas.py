"""JSON Schema files generated from the contract models (committed under docs/schemas/)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ingest.contract.models import Article, ArticleSnapshot, Event, Incident

MODELS: dict[str, type[BaseModel]] = {
    "article.v1.schema.json": Article, "incident.v1.schema.json": Incident,
    "article-incidents.v1.schema.json": ArticleSnapshot, "event.v1.schema.json": Event,
}  # fmt: skip


def render() -> dict[str, str]:
    """File name -> schema text, deterministic so a diff shows a real change."""
    out: dict[str, str] = {}
    for name, model in MODELS.items():
        schema: dict[str, Any] = model.model_json_schema(mode="serialization")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[name] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return out


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")):
        print(path)
