"""`make` installs a missing spaCy model: the package index first, then the unpacked folder it is given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.contract.errors import ConfigurationError
from processors.nlp import ensure_model, install_from_folder, is_folder

CONFIGURED = os.environ.get("PROCESSOR_SPACY_MODEL", "")
SOURCE = os.environ.get("PROCESSOR_SPACY_MODEL_SOURCE") or (CONFIGURED if is_folder(CONFIGURED) else "")


@pytest.mark.skipif(not SOURCE, reason="needs an unpacked model folder (PROCESSOR_SPACY_MODEL_SOURCE)")
def test_a_model_folder_is_packaged_and_installed_then_loads_by_name(tmp_path: Path) -> None:
    name = install_from_folder(Path(SOURCE), target=tmp_path)
    assert name == "en_core_web_sm" and (tmp_path / name / "__init__.py").exists()
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import spacy; "
         f"nlp = spacy.load({name!r}); print(nlp.meta['version'], [t.pos_ for t in nlp('Shells hit Ariha.')])"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    assert loaded.stdout.startswith("3.7.") and "VERB" in loaded.stdout


def test_a_missing_model_without_a_source_is_one_clear_error() -> None:
    steps: list[str] = []
    with pytest.raises(ConfigurationError, match="PROCESSOR_SPACY_MODEL_SOURCE"):
        ensure_model("xx_idlib_no_such_model", None, steps)
    assert steps[0].startswith("spaCy model 'xx_idlib_no_such_model' is not installed")
    assert any("package index" in s for s in steps[1:])
