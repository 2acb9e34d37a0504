"""The one Resources object: loaded once per folder, shared by the pipeline and the extractor, and a bad file stops
start-up with its name and line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.contract import ConfigurationError
from processors.extract import Document, Extractor
from processors.nlp import build_pipeline, pipeline_resources
from processors.resources import load_resources, packaged_dir
from tests.conftest import REPO
from tests.support.data_folder import TEXT, VILLAGE, VILLAGE_LAT, VILLAGE_LON, custom_data_folder

MODEL = os.environ.get("PROCESSOR_SPACY_MODEL", "en_core_web_sm")


def test_one_object_per_folder() -> None:
    assert load_resources() is load_resources(None) is load_resources("")
    assert load_resources(str(packaged_dir())) is load_resources(str(packaged_dir()) + "/")


def test_the_extractor_uses_its_pipelines_resources(nlp, extractor: Extractor) -> None:  # type: ignore[no-untyped-def]
    assert extractor.resources is pipeline_resources(nlp) is load_resources()
    other = load_resources(str(packaged_dir()))
    with pytest.raises(ValueError, match="resources"):
        Extractor(nlp, other)


def test_a_village_only_in_a_custom_folder_is_found(tmp_path: Path, extractor: Extractor) -> None:
    folder = custom_data_folder(tmp_path)
    doc = Document(id="v", text=TEXT, published=datetime(2021, 3, 4, tzinfo=UTC))
    packaged = extractor.extract(doc).incidents
    assert all(i.location is None or i.location.name != VILLAGE for i in packaged)  # the package does not know it
    resources = load_resources(str(folder))
    custom = Extractor(build_pipeline(MODEL, resources), resources).extract(doc).incidents
    assert [i.location.name for i in custom if i.location] == [VILLAGE]
    assert custom[0].location is not None and abs(custom[0].location.lat - VILLAGE_LAT) < 1e-4


def test_extract_command_reads_the_data_folder(tmp_path: Path) -> None:
    folder = custom_data_folder(tmp_path)
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "v", "text": TEXT, "published": "2021-03-04"}) + "\n", encoding="utf-8")
    env = {**os.environ, "PROCESSOR_SPACY_MODEL": MODEL, "PROCESSOR_GAZETTEER_DIR": str(folder)}
    result = subprocess.run([sys.executable, "-m", "processors", "extract", "-i", str(source)], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    (row,) = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    location = row["incidents"][0]["location"]
    assert (location["name"], location["lat"], location["lon"]) == (VILLAGE, VILLAGE_LAT, VILLAGE_LON)


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("events.yaml", "patterns:\n  air: ['air ?strikes?']\nrules:\n  - id: air\n    priority: 1\n"
         "    event_type: Battles\n    sub_event_type: Air/drone strike\n    triggers: [air]\n", r"line 4"),
        ("events.yaml", "patterns:\n  air: ['air ?strikes?']\nrules:\n  - id: air\n    priority: 1\n"
         "    event_type: Explosions/Remote violence\n    sub_event_type: Air/drone strike\n    strength: 0.9\n"
         "    triggers: [sky]\n",
         r"sky"),
        ("actors.yaml", "- {name: A, side: foreign, aliases: [a]}\n- {name: B, sides: foreign, aliases: [b]}\n",
         r"line 2"),
        ("lexicon.yaml", "region: Idlib\nregion: [unclosed\n", r"line 2"),
        ("places.tsv", "place_id\tname\tadmin1\tlat\tlon\tfeature\tpopulation\tsource\tlatin_names\tarabic_names\n"
         "x:1\tX\tIdlib\tnorth\t36.6\tPPL\t0\tx\tX\t\n", r"line 2.*lat"),
        ("admin_areas.tsv", "admin1\tadmin2\n", r"column"),
    ],
)  # fmt: skip
def test_a_bad_file_names_itself_and_its_line(tmp_path: Path, name: str, content: str, where: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=rf"{name.replace('.', r'[.]')}.*{where}"):
        load_resources(str(tmp_path))


def test_a_bad_file_stops_start_up_with_exit_code_2(tmp_path: Path) -> None:
    (tmp_path / "actors.yaml").write_text("- {name: A, side: martian, aliases: [a]}\n", encoding="utf-8")
    env = {**os.environ, "PROCESSOR_SPACY_MODEL": MODEL, "PROCESSOR_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "processors", "extract"], input="", env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 2
    assert "actors.yaml" in result.stderr and "line 1" in result.stderr


def test_missing_folder_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_resources(str(tmp_path / "nowhere"))
