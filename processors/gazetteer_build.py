"""Builds processors/data/places.tsv and admin_areas.tsv from the raw gazetteer files (run by hand, output committed).

Usage: python -m processors.gazetteer_build ../shared/gazetteer
Inputs: GeoNames SY populated places (CC BY 4.0), the OSM-derived Idlib rows of idlib_places_full.tsv (ODbL 1.0),
Open-Syria sub-districts with OCHA names and centroids (CC BY 4.0), the OCHA 2021 community list (CC BY-IGO 3.0:
its spellings are added to the GeoNames or OSM point of the same community, or it becomes a place of its own).
See processors/data/NOTICE.md.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
import unicodedata
from pathlib import Path

from rapidfuzz import fuzz

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
OCHA_GOV = {"Idleb": "Idlib", "Aleppo": "Aleppo", "Hama": "Hama", "Lattakia": "Latakia"}
SAME_COMMUNITY_KM = 1.0  # OCHA points lie a median 94 m from GeoNames (gazetteer README); 90% within 0.9 km
SAME_NAME = 60.0  # rapidfuzz ratio of the folded names above which a nearby point is the same community
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


def _fold(name: str) -> str:
    return re.sub(r"[^a-z ]", "", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower())


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dlat = (lat2 - lat1) * 111.2
    dlon = (lon2 - lon1) * 111.2 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dlat, dlon)


def ocha_rows(path: Path, places: list[dict[str, str]]) -> tuple[list[dict[str, str]], int]:
    """OCHA communities: their names join the nearest existing point of the same community (same governorate,
    within 1 km, alike in spelling), whose source becomes "<source>+ocha"; the others are added as "ocha:<pcode>".
    Returns the new rows and how many existing rows received names."""
    grid: dict[tuple[str, int, int], list[dict[str, str]]] = {}
    for place in places:
        key = (place["admin1"], int(float(place["lat"]) * 50), int(float(place["lon"]) * 50))
        grid.setdefault(key, []).append(place)
    added, enriched = [], 0
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            admin1 = OCHA_GOV.get(row["admin1"])
            if admin1 is None:
                continue
            lat, lon = float(row["lat"]), float(row["lon"])
            # a part of a split "Deir Hanna / Lattakia" that is the governorate's own name is no name of the community
            alts = [n for n in row["alt_names"].split("|") if n.strip().lower() != row["admin1"].strip().lower()]
            names = list(dict.fromkeys(n.strip() for n in [row["name_en"], *alts] if n.strip()))
            cell = (int(lat * 50), int(lon * 50))
            near = [
                p for dy in (-1, 0, 1) for dx in (-1, 0, 1) for p in grid.get((admin1, cell[0] + dy, cell[1] + dx), [])
            ]
            scored = [(max(fuzz.ratio(_fold(n), _fold(o)) for n in names for o in [*p["latin_names"].split("|"), p["name"]]),
                       _km(lat, lon, float(p["lat"]), float(p["lon"])), p) for p in near]  # fmt: skip
            same = [s for s in scored if s[1] <= SAME_COMMUNITY_KM and s[0] >= SAME_NAME]
            if same:
                target = max(same, key=lambda s: (s[0], -s[1]))[2]
                known = target["latin_names"].split("|") if target["latin_names"] else []
                target["latin_names"] = "|".join(dict.fromkeys([*known, *names]))
                if not target["source"].endswith("+ocha"):
                    target["source"] += "+ocha"
                    enriched += 1
                continue
            added.append({
                "place_id": f"ocha:{row['pcode']}", "name": row["name_en"], "admin1": admin1, "lat": row["lat"],
                "lon": row["lon"], "feature": "PPL", "population": "0", "source": "ocha",
                "latin_names": "|".join(names), "arabic_names": "",
            })  # fmt: skip
    return added, enriched


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
    communities, enriched = ocha_rows(raw / "ocha_pplp_2021.tsv", places)
    places += communities
    print(f"OCHA communities: {enriched} existing points got OCHA spellings, {len(communities)} added")
    _write(DATA / "places.tsv", places, FIELDS)
    admin = admin_rows(raw / "open_syria")
    _write(DATA / "admin_areas.tsv", admin, ["admin1", "admin2", "admin3", "lat", "lon", "pcode"])
    print(f"places: {len(places)} rows; admin areas: {len(admin)} rows")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/gazetteer"))
