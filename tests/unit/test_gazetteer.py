from __future__ import annotations

import pytest

from processors.geo.gazetteer import Gazetteer, distance_km
from processors.geo.names import normal_key, skeletons
from processors.geo.resolve import governorates_mentioned
from processors.resources import load_resources

IDLIB = "Idlib"


def load_gazetteer() -> Gazetteer:
    return load_resources().gazetteer


ARIHA = (35.8137, 36.6096)


@pytest.mark.parametrize(
    ("acled", "news"),
    [
        ("Kafr Nobol", "Kafranbel"),
        ("Saraqab", "Saraqib"),
        ("Ma'arrat An Nu'man", "Maarat al-Numan"),
        ("Jisr-Ash-Shugur", "Jisr al-Shughur"),
        ("Khan Shaykun", "Khan Sheikhoun"),
        ("Abul Thohur", "Abu al-Duhur"),
        ("Maarat al-Numan", "معرة النعمان"),
        ("Jisr al-Shughur", "جسر الشغور"),
    ],
)
def test_spelling_variants_share_a_skeleton(acled: str, news: str) -> None:
    assert skeletons(acled) & skeletons(news)


def test_normal_key_drops_articles_and_marks() -> None:
    assert normal_key("Ma'arrat An-Nu'man") == "maarrat numan"
    assert normal_key("Abū aẓ Ẓuhūr") == "abu zuhur"


@pytest.mark.parametrize(
    ("phrase", "lat", "lon"),
    [
        ("Kafr Nobol", 35.61, 36.56),
        ("Kafranbel", 35.61, 36.56),
        ("Saraqab", 35.86, 36.80),
        ("Saraqib", 35.86, 36.80),
        ("Ma'arrat An Nu'man", 35.65, 36.67),
        ("Maarat al-Numan", 35.65, 36.67),
        ("Jisr-Ash-Shugur", 35.81, 36.32),
        ("Khan Shaykun", 35.44, 36.65),
        ("Khan Sheikhoun", 35.44, 36.65),
    ],
)
def test_variants_resolve_to_the_idlib_town(phrase: str, lat: float, lon: float) -> None:
    gaz = load_gazetteer()
    in_idlib = [p for p, _ in gaz.lookup(phrase) if p.admin1 == IDLIB]
    assert in_idlib, phrase
    assert min(distance_km(p.lat, p.lon, lat, lon) for p in in_idlib) < 5


def test_curated_features_exist_with_coordinates() -> None:
    gaz = load_gazetteer()
    for alias in ("M4", "M5 highway", "Jabal al-Zawiya", "Aleppo-Latakia road", "Abu al-Duhur airbase"):
        place = gaz.places[gaz.curated_alias_texts[alias]]
        assert place.admin1 == IDLIB and 35.3 < place.lat < 36.4 and 36.1 < place.lon < 37.3
    m4 = gaz.places[gaz.curated_alias_texts["M4"]]
    assert distance_km(m4.lat, m4.lon, *ARIHA) < 15


def test_governorates_named_or_hinted() -> None:
    lex = load_resources().lexicon
    assert governorates_mentioned("clashes in Idleb countryside", lex) == {IDLIB}
    assert governorates_mentioned("shelling in Dar'a al Balad", lex) == {"Daraa"}
    assert governorates_mentioned("QSD forces recaptured Shakrak", lex) >= {"Al-Hasakah"}
    assert "Rural Damascus" in governorates_mentioned("Arbin city in Rural Damascus", lex)


def test_admin_levels_for_an_idlib_town() -> None:
    gaz = load_gazetteer()
    ariha = next(p for p, exact in gaz.lookup("Ariha") if exact and p.admin1 == IDLIB)
    admin2, admin3 = gaz.admin_for(ariha)
    assert admin2 == "Ariha" and admin3 == "Ariha"


def test_a_governorate_name_split_off_an_ocha_community_is_not_its_name() -> None:
    # OCHA lists "Deir Hanna / Lattakia"; the split must not make "Lattakia" a name of the village Deir Hanna
    gaz = load_gazetteer()
    exact = [place.name for place, is_exact in gaz.lookup("Lattakia") if is_exact]
    assert "Latakia" in exact and "Dayr Hanna" not in exact
    assert "Dayr Hanna" in [place.name for place, is_exact in gaz.lookup("Deir Hanna") if is_exact]
