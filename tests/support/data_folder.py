"""A custom data folder for tests: the packaged places plus one village that exists nowhere else."""

from __future__ import annotations

from pathlib import Path

from processors.resources import packaged_dir

VILLAGE = "Khirbat Zunbuqiyah"  # invented for the tests: no gazetteer source lists it
VILLAGE_LAT, VILLAGE_LON = 35.70123, 36.60456  # inside Idlib governorate, between Ariha and Jabal al-Zawiya
TEXT = (
    f"On 3 March 2021, regime forces shelled the village of {VILLAGE} in the southern countryside of Idlib, "
    "killing two civilians."
)


def custom_data_folder(root: Path) -> Path:
    """A folder holding only places.tsv (the packaged rows plus VILLAGE); every other file comes from the package."""
    folder = root / "data"
    folder.mkdir()
    packaged = (packaged_dir() / "places.tsv").read_text(encoding="utf-8")
    row = "\t".join(["custom:zunbuqiyah", VILLAGE, "Idlib", str(VILLAGE_LAT), str(VILLAGE_LON), "PPL", "0", "custom",
                     f"{VILLAGE}|Zunbuqiyah", ""])  # fmt: skip
    (folder / "places.tsv").write_text(packaged.rstrip("\n") + "\n" + row + "\n", encoding="utf-8")
    return folder
