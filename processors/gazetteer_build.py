"""Builds processors/data/places.tsv and admin_areas.tsv from the raw gazetteer files (run by hand, output committed).

Usage: python -m processors.gazetteer_build ../shared/gazetteer
Inputs: GeoNames SY populated places (CC BY 4.0), the OSM-derived Idlib rows of idlib_places_full.tsv (ODbL 1.0),
Open-Syria sub-districts with OCHA names and centroids (CC BY 4.0). See processors/data/NOTICE.md.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
ADMIN1 = {
    "01": "Al-Hasakah", "02": "Latakia", "03": "Quneitra", "04": "Ar-Raqqah", "05": "As-Suwayda", "06": "Daraa",
    "07": "Deir ez-Zor", "08": "Rural Damascus", "09": "Aleppo", "10": "Hama", "11": "Homs", "12": "Idlib",
    "13": "Damascus", "14": "Tartus",
}  # fmt: skip
OPEN_SYRIA_GOV = {
    "sy-al-hasakah": "Al-Hasakah", "sy-aleppo": "Aleppo", "sy-as-suwayda": "As-Suwayda", "sy-damascus": "Damascus",
    "sy-daraa": "Daraa", "sy-deir-ez-zor": "Deir ez-Zor", "sy-hama": "Hama", "sy-homs": "Homs", "sy-idlib": "Idlib",
    "sy-latakia": "Latakia", "sy-quneitra": "Quneitra", "sy-raqqa": "Ar-Raqqah", "sy-rif-dimashq": "Rural Damascus",
    "sy-tartus": "Tartus",
}  # fmt: skip
ARABIC = re.compile(r"[\u0600-\u06FF]")
FIELDS = ["place_id", "name", "admin1", "lat", "lon", "feature", "population", "source", "latin_names", "arabic_names"]


def _split_names(raw: str) -> tuple[list[str], list[str]]:
    latin: list[str] = []
    arabic: list[str] = []
    for name in (n.strip() for n in raw.split(",")):
        if not name:
            continue
        (arabic if ARABIC.search(name) else latin).append(name)
    return latin, arabic


def geonames_rows(path: Path) -> list[dict[str, str]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for cols in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(cols) < 15 or cols[10] not in ADMIN1:
                continue
            latin, arabic = _split_names(cols[3])
            names = list(dict.fromkeys([cols[1], cols[2], *latin]))
            rows.append({
                "place_id": f"geonames:{cols[0]}", "name": cols[2] or cols[1], "admin1": ADMIN1[cols[10]],
                "lat": cols[4], "lon": cols[5], "feature": cols[7], "population": cols[14] or "0",
                "source": "geonames", "latin_names": "|".join(names), "arabic_names": "|".join(dict.fromkeys(arabic)),
            })  # fmt: skip
    return rows


def osm_idlib_rows(path: Path, known: set[str]) -> list[dict[str, str]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            ids = row["source_id"].split(";")
            if any(i in known for i in ids) or not any(i.startswith("osm:") for i in ids):
                continue
            latin, arabic = _split_names(row["alternate_names"])
            names = [n for n in (row["asciiname"], *latin) if n and not ARABIC.search(n)]
            if ARABIC.search(row["name"]):
                arabic.insert(0, row["name"])
            rows.append({
                "place_id": ids[0], "name": row["asciiname"] or row["name"], "admin1": "Idlib",
                "lat": row["lat"], "lon": row["lon"], "feature": row["feature_code"] or "PPL",
                "population": row["population"] or "0", "source": "osm",
                "latin_names": "|".join(dict.fromkeys(names)), "arabic_names": "|".join(dict.fromkeys(arabic)),
            })  # fmt: skip
    return rows


def admin_rows(folder: Path) -> list[dict[str, str]]:
    districts = {d["id"]: d["name"]["en"] for d in json.loads((folder / "districts.json").read_text("utf-8"))}
    rows = []
    for sub in json.loads((folder / "subdistricts.json").read_text("utf-8")):
        centroid = sub.get("centroid") or {}
        if "latitude" not in centroid:
            continue
        rows.append({
            "admin1": OPEN_SYRIA_GOV[sub["governorateId"]], "admin2": districts.get(sub["districtId"], ""),
            "admin3": sub["name"]["en"], "lat": str(centroid["latitude"]), "lon": str(centroid["longitude"]),
            "pcode": (sub.get("externalIds") or {}).get("ochaPcode", ""),
        })  # fmt: skip
    return rows


def _write(path: Path, rows: list[dict[str, str]], fields: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        writer.writeheader()
        writer.writerows(rows)


def main(shared: Path) -> None:
    raw = shared / "raw"
    places = geonames_rows(raw / "geonames_SY_P.tsv")
    ids = {p["place_id"] for p in places}
    extra = [r for r in geonames_rows(raw / "geonames_SY_P_partial.txt") if r["place_id"] not in ids]
    places += extra
    places += osm_idlib_rows(shared / "idlib_places_full.tsv", {p["place_id"] for p in places})
    _write(DATA / "places.tsv", places, FIELDS)
    admin = admin_rows(raw / "open_syria")
    _write(DATA / "admin_areas.tsv", admin, ["admin1", "admin2", "admin3", "lat", "lon", "pcode"])
    print(f"places: {len(places)} rows; admin areas: {len(admin)} rows")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/gazetteer"))
