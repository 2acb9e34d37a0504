"""Builds the spaCy pipeline once: the statistical model plus our rule components (only owner of spacy.load)."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.contract.errors import ConfigurationError

if TYPE_CHECKING:
    from spacy.language import Language

DEFAULT_MODEL = "en_core_web_sm"
INSTALL_HINT = (
    "install it with `python -m spacy download en_core_web_sm`, or set PROCESSOR_SPACY_MODEL to the folder of "
    "an unpacked model (e.g. .../en_core_web_sm-3.7.1)"
)


def load_model(name_or_path: str = DEFAULT_MODEL) -> Language:
    """Load a spaCy model by package name or folder; a missing model is one clear ConfigurationError."""
    import spacy

    target: str | Path = name_or_path
    if os.sep in name_or_path or name_or_path.startswith("."):
        target = Path(name_or_path).expanduser()
        if not (target / "meta.json").exists():
            raise ConfigurationError(f"spaCy model folder {name_or_path!r} has no meta.json: {INSTALL_HINT}")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*\[W095\].*")
            return spacy.load(target)
    except OSError as exc:
        raise ConfigurationError(f"spaCy model {name_or_path!r} not found: {INSTALL_HINT}") from exc


def _check(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check that the configured spaCy model loads.")
    parser.add_argument("--check", action="store_true", required=True)
    parser.add_argument("--model", default=os.environ.get("PROCESSOR_SPACY_MODEL", DEFAULT_MODEL))
    args = parser.parse_args(argv)
    try:
        nlp = load_model(args.model)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"spaCy model ok: {nlp.meta.get('name')} {nlp.meta.get('version')} ({args.model})")
    return 0


if __name__ == "__main__":
    sys.exit(_check())
