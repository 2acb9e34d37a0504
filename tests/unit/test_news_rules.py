"""Rules for full news articles, on sentences written for these tests: number words, vague quantities and
cumulative tolls; the dates news writes; monitors' formulas; one incident per real event within an article; and the
news scoring of `eval`."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ingest.contract import Evidence, Incident, Location, Source
from processors.casualties import Casualties, count, without_tallies
from processors.dates import find_dates
from processors.evaluate import best_match, same_event_pairs, score_news
from processors.extract import Document, Extractor
from processors.merge import Found, merge_same_events
from processors.resources import load_resources

TUESDAY = datetime(2020, 2, 11, 9, 0, tzinfo=UTC)
TALLY = load_resources().lexicon.tally
GENERIC = load_resources().rules.generic_ids


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Twenty-three civilians were killed in the strike.", Casualties(23)),
        ("A hundred and twelve people died in the offensive.", Casualties(112)),
        ("Forty-seven fighters were killed and sixty-one wounded.", Casualties(47, 61)),
        ("Dozens of people were killed.", Casualties(12)),  # ACLED: "dozens" is 12
        ("Hundreds of soldiers died.", Casualties(100)),  # ACLED: "hundreds" is 100
        ("Several civilians were killed and several injured.", Casualties(10)),  # vague injuries are not coded
        ("Between one and three civilians were killed.", Casualties(1)),  # the conservative end of a range
        ("About 20 fighters were killed and injured in the ambush.", Casualties()),  # the split is not said
        ("Six people, including two children, were killed.", Casualties(6)),
        ("A judge was killed by an explosive device.", Casualties(1)),
        ("The Observatory documented the death of a civilian.", Casualties(1)),
        (
            "New deaths raised the number of casualties of yesterday's drone strike on the market in the town to 7 "
            "people at least.",
            Casualties(7),
        ),  # a toll update told at length
        ("The number of casualties rose to 4 people wounded.", Casualties(None, 4)),  # wounded, not killed
        ("Jets struck the village with 4 raids, which led to the death of a shepherd.", Casualties(1)),  # raids
        ("Gunmen kill teacher in Sarmada", Casualties(1)),  # a headline's bare singular
        ("Both sides blamed each other for the deaths of the three brothers.", Casualties(3)),
        ("Snipers kill civilians near the front", Casualties()),  # a bare plural says no number
        ("The fighting claimed the lives of 9 citizens.", Casualties(9)),
        ("An explosion claimed the life of a commander.", Casualties(1)),
        ("3 members of the group were led away in revenge for killing 5 of theirs.", Casualties(5)),
        # a victim joined by "and"/"with" to a counted one shares its verb; one with its own verb does not
        ("The blast killed a mechanic and another person on the road.", Casualties(1 + 1)),
        ("Shelling killed two farmers and three children in the fields.", Casualties(5)),
        ("An officer was killed along with his driver at the checkpoint.", Casualties(2)),
        ("A teacher was killed together with his two sons and his wife.", Casualties(4)),
        ("A commander was killed and his driver was wounded.", Casualties(1, 1)),
        ("The raid killed two gunmen and arrested a man.", Casualties(2)),
        ("Gunmen killed a shopkeeper and kidnapped his son.", Casualties(1, None, 1)),
    ],
)
def test_counts_in_news_writing(text: str, expected: Casualties) -> None:
    assert count(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Four people were killed in Binnish, raising the death toll since the start of the month to 19.",
            Casualties(4),
        ),
        ("A woman was killed in the bombing what raised the number of the dead this year to 96.", Casualties(1)),
        ("The death toll since the start of the offensive has risen to 340 civilians.", Casualties()),
        ("The death toll of the strike on the market rose to 5.", Casualties(5)),  # one event's toll, updated
        ("Since the start of the truce the Observatory documented the death of 2,154 people.", Casualties()),
        ("So far this year 873 people were killed in the province.", Casualties()),
        ("A total of 2 fighters were killed in the clashes.", Casualties(2)),  # the event's own total
        (
            "A man was killed by shelling on the town, rising to 57 people including 9 children and 4 women, the "
            "number of those killed in five consecutive days of bombardment, while 120 others were injured.",
            Casualties(1),
        ),  # the monitors' running count with its breakdown between
        (
            "A fighter was killed by a sniper near the village, raising to 150 at least, the number of people killed "
            "since the agreement.",
            Casualties(1),
        ),
    ],
)
def test_a_cumulative_toll_is_never_an_incidents_count(text: str, expected: Casualties) -> None:
    assert count(without_tallies(text, TALLY)) == expected


@pytest.mark.parametrize(
    "text", ["He had joined the brigade earlier, and fought in the clashes.", "due to earlier shelling the road closed"]
)
def test_earlier_as_background_is_no_date(text: str) -> None:
    assert find_dates(text, TUESDAY) == []


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("Regime forces shelled the town on Tuesday.", date(2020, 2, 11), "day"),  # published on a Tuesday
        ("On Monday night warplanes struck.", date(2020, 2, 10), "day"),
        ("last Tuesday a drone struck", date(2020, 2, 4), "day"),
        ("On Sunday, February 2, clashes erupted.", date(2020, 2, 2), "day"),  # the explicit date wins
        ("at dawn today warplanes struck", date(2020, 2, 11), "day"),
        ("Last night a drone hit a car.", date(2020, 2, 10), "day"),
        ("Earlier this week two were killed.", date(2020, 2, 11), "week"),
        ("He died of wounds from shelling on the town three days ago.", date(2020, 2, 8), "day"),
        ("A drone struck the car 2 hours ago.", date(2020, 2, 11), "day"),
        ("The bakery was hit a week ago.", date(2020, 2, 4), "week"),
        ("A farmer was killed earlier by a landmine.", date(2020, 2, 10), "week"),  # before the report
        ("A nurse died of her wounds from the shelling of the hospital.", date(2020, 2, 10), "week"),
    ],
)
def test_dates_the_way_news_writes_them(text: str, expected: date, precision: str) -> None:
    assert [(d.value, d.precision) for d in find_dates(text, TUESDAY)] == [(expected, precision)]


def test_monitor_formulas_are_events(extractor: Extractor) -> None:
    texts = [
        "The Syrian Observatory documented the death of two civilians in Maarat al-Numan on Monday.",
        "SOHR activists monitored the killing of a young man by unknown gunmen in Sarmada yesterday.",
        "A child was killed by regime shelling on Kafranbel on Monday.",
    ]
    for text in texts:
        (incident,) = extractor.extract(Document(id="m", text=text, published=TUESDAY)).incidents
        assert incident.date == date(2020, 2, 10) and incident.killed in (1, 2), text


def _incident(n: int, place: tuple[str, float, float, int], when: date = date(2020, 2, 10), killed: int | None = None,
              event: tuple[str, str, str] = ("Explosions/Remote violence", "Air/drone strike", "air-strike"),
              admin2: str = "Ariha") -> Incident:  # fmt: skip
    name, lat, lon, precision = place
    return Incident(
        incident_id=f"i{n}", article_id="a", event_type=event[0], sub_event_type=event[1], rule_id=event[2],
        date=when, date_precision="day", killed=killed, confidence=0.8,
        location=Location(name=name, lat=lat, lon=lon, admin1="Idlib", admin2=admin2, admin3=None,
                          geo_precision=precision),  # type: ignore[arg-type]
        evidence=Evidence(sentence=f"sentence {n}", start=n * 100, end=n * 100 + 10), source=Source(),
    )  # fmt: skip


IDLIB = ("Idlib", 35.93, 36.63, 3)
ARIHA = ("Ariha", 35.81, 36.61, 1)
NEAR_ARIHA = ("Ariha", 35.81, 36.61, 2)
BINNISH = ("Binnish", 35.96, 36.71, 1)


def test_a_town_the_text_calls_a_city_is_not_moved_to_the_city_it_lies_near(extractor: Extractor) -> None:
    text = "Four civilians were killed when warplanes struck the city of Saraqib east of Idlib city on Monday."
    (incident,) = extractor.extract(Document(id="t", text=text, published=datetime(2020, 2, 3, tzinfo=UTC))).incidents
    assert incident.location is not None and incident.location.name == "Saraqib"
    area = "Warplanes struck the farms west of Saraqib on Monday."  # an area near a town is still coded to the town
    (near,) = extractor.extract(Document(id="u", text=area, published=datetime(2020, 2, 3, tzinfo=UTC))).incidents
    assert near.location is not None and near.location.name == "Saraqib"


def test_headline_lede_and_body_of_one_event_become_one_incident() -> None:
    found = [Found(_incident(0, IDLIB, killed=3), False), Found(_incident(1, NEAR_ARIHA, killed=3), True),
             Found(_incident(2, ARIHA, killed=2), True)]  # fmt: skip
    (merged,) = merge_same_events(found, GENERIC)
    assert merged.location is not None and (merged.location.name, merged.location.geo_precision) == ("Ariha", 1)
    assert merged.killed == 3  # the figure two sentences give
    assert [e.start for e in [merged.evidence, *merged.more_evidence]] == [200, 0, 100]


def test_two_villages_or_two_dates_stay_apart() -> None:
    villages = [Found(_incident(0, ARIHA), True), Found(_incident(1, BINNISH), True)]
    assert len(merge_same_events(villages, GENERIC)) == 2
    days = [Found(_incident(0, ARIHA), True), Found(_incident(1, ARIHA, when=date(2020, 2, 9)), True)]
    assert len(merge_same_events(days, GENERIC)) == 2
    # a governorate-level headline joins the first village, and never glues two villages together
    round_up = [Found(_incident(0, IDLIB), False), *villages]
    assert sorted(i.location.name for i in merge_same_events(round_up, GENERIC) if i.location) == ["Ariha", "Binnish"]


def test_a_headline_town_the_body_also_names_joins_the_body_village() -> None:
    # headline "strike on Ariha", body "the strike hit Binnish, near Ariha": the body names both
    headline = Found(_incident(0, ARIHA, killed=2), False, lead=True)
    body = Found(_incident(1, BINNISH, killed=2), True, named=frozenset({"Binnish", "Ariha"}))
    (merged,) = merge_same_events([headline, body], GENERIC)
    assert merged.location is not None and merged.location.name == "Binnish"
    # a body line that never names the headline's town, or a headline that is not the lead, stays apart
    elsewhere = Found(_incident(1, BINNISH, killed=2), True, named=frozenset({"Binnish"}))
    assert len(merge_same_events([headline, elsewhere], GENERIC)) == 2
    not_lead = Found(_incident(0, ARIHA, killed=2), True)
    assert len(merge_same_events([not_lead, body], GENERIC)) == 2


def test_a_generic_verb_yields_to_the_specific_type_and_figures_are_conservative() -> None:
    generic = ("Battles", "Armed clash", "attack")
    found = [Found(_incident(0, ARIHA, killed=4, event=generic), True), Found(_incident(1, ARIHA, killed=2), True)]
    (merged,) = merge_same_events(found, GENERIC)
    assert (merged.sub_event_type, merged.rule_id, merged.killed) == ("Air/drone strike", "air-strike", 2)
    other = ("Battles", "Armed clash", "clash")
    distinct = [Found(_incident(0, ARIHA, event=other), True), Found(_incident(1, ARIHA), True)]
    assert len(merge_same_events(distinct, GENERIC)) == 2


def test_news_scoring_picks_the_best_matching_incident_and_counts_duplicates() -> None:
    gold = {"date": "2020-02-10", "date_end": "2020-02-10", "location": "Binnish", "lat": 35.96, "lon": 36.71,
            "geo_precision": 1, "killed": 2}  # fmt: skip
    incidents = [_incident(0, ARIHA, when=date(2020, 2, 9), killed=5), _incident(1, BINNISH, killed=2),
                 _incident(2, IDLIB, killed=2)]  # fmt: skip
    assert best_match(incidents, gold) is incidents[1]
    assert len(same_event_pairs(incidents)) == 1  # Binnish and the governorate-level one, same day and type
    records = [{"id": "p", "dataset": "ucdp-aec", "gold": gold}, {"id": "n", "dataset": "ucdp-aec",
               "gold": {"idlib": False}}]  # fmt: skip
    report = score_news(records, [incidents, []])
    summary = report.summary()
    assert (summary["recall"], summary["false_alarm_rate"], summary["date"], summary["geo"], summary["killed"]) == (
        1.0, 0.0, 1.0, 1.0, 1.0)  # fmt: skip
    assert summary["incidents_per_positive"] == 3 and summary["duplicate_pairs_per_50"] == 50


def test_a_name_is_tied_to_the_governorate_its_own_sentence_names() -> None:
    from processors.geo.resolve import local_governorate

    lex = load_resources().lexicon
    text = (
        "Idlib Province: warplanes struck Kafr Ain and Tal Aas in the southern countryside of Idlib, and Kafr Zita "
        "in the northern countryside of Hama.\nLater the wali of Hama was seen in Sarmada."
    )

    def tied(name: str) -> str | None:
        start = text.index(name)
        return local_governorate(text, start, start + len(name), lex)

    assert tied("Kafr Ain") == "Idlib"
    assert tied("Kafr Zita") == "Hama"
    assert tied("Hama") == "Hama"  # a governorate's own name
    assert tied("Sarmada") == "Hama"  # nothing after it in its sentence: the last one named before, same paragraph


def test_compass_words_describe_the_names_of_their_own_sentence_and_paragraph() -> None:
    from processors.geo.resolve import local_directions

    lex = load_resources().lexicon
    text = (
        "Idlib Province: clashes broke out between Marayan and Kafr Nabl in the southern countryside of Idlib.\n"
        "Fighters also clashed in Sarmada.\n"
        "In all, the factions took 25 villages in the northern countryside of Idlib and western Aleppo."
    )

    def near(name: str) -> set[str]:
        start = text.index(name)
        return local_directions(text, start, start + len(name), lex)

    assert near("Marayan") == {"south"}  # its own sentence
    assert near("Sarmada") == set()  # a paragraph of its own: the next paragraph's "northern" is not about it
    assert near("25 villages") == {"north"}


def test_a_round_ups_last_compass_word_does_not_move_an_earlier_village(extractor: Extractor) -> None:
    # Mara`yan lies in Jabal al-Zawiya, south of Idlib city; a namesake spelled close to it lies north
    text = (
        "Clashes broke out on Tuesday between rival factions near Marayan in Jabal al-Zawiya, and two fighters "
        "were killed.\n" + "The factions exchanged accusations over the fighting on social media.\n" * 3
        + "By evening Tahrir al-Sham held 25 villages in the northern countryside of Idlib."
    )  # fmt: skip
    incidents = extractor.extract(Document(id="r", text=text, published=TUESDAY)).incidents
    assert [i.location.name for i in incidents if i.location] == ["Mara`yan"]


def test_a_loose_match_in_another_governorate_yields_to_the_one_the_sentence_names(extractor: Extractor) -> None:
    text = "Rebels shelled regime positions in Tar'ei village in the southern countryside of Idlib on Monday."
    (incident,) = extractor.extract(Document(id="g", text=text, published=TUESDAY)).incidents
    assert incident.location is not None
    assert (incident.location.admin1, incident.location.geo_precision) == ("Idlib", 3)


def test_wire_copy_tells_the_place_in_the_next_paragraph(extractor: Extractor) -> None:
    text = (
        "Rebels ambushed an army convoy on Monday, killing four soldiers, a monitoring group said.\n"
        "It happened at the village of Kafr Nabl in Idlib province, the Observatory said."
    )
    (incident,) = extractor.extract(Document(id="w", text=text, published=TUESDAY)).incidents
    assert incident.location is not None
    assert (incident.location.name, incident.location.geo_precision) == ("Kafranbel", 1)  # GeoNames' spelling
    assert (incident.killed, incident.date) == (4, date(2020, 2, 10))
    placed = (
        "Rebels ambushed an army convoy in Saraqib on Monday, killing four soldiers.\n"
        "Residents of Kafr Nabl fled the town, a monitoring group said."
    )  # the event already has its town: a later paragraph's other town is not its place
    (first,) = extractor.extract(Document(id="x", text=placed, published=TUESDAY)).incidents
    assert first.location is not None and first.location.name == "Saraqib"


def test_towns_in_different_clauses_are_no_list(extractor: Extractor) -> None:
    text = (
        "A woman died in Bidama town in the western countryside of Jisr al-Shughur on Monday, while gunmen shot a "
        "commander in Harem and a judge was shot in Saraqeb."
    )
    (incident, *_) = extractor.extract(Document(id="l", text=text, published=TUESDAY)).incidents
    assert incident.location is not None and incident.location.name == "Bdama"  # not the middle of the three


def test_a_comma_splice_separates_two_events(extractor: Extractor) -> None:
    text = "A boy was killed by shelling on Sarmin on Monday, A woman was killed by a landmine in Binnish town."
    places = {i.location.name for i in extractor.extract(Document(id="c", text=text, published=TUESDAY)).incidents
              if i.location}  # fmt: skip
    assert {"Sarmin", "Binnish"} <= places


def test_a_running_count_clause_lends_the_event_neither_date_nor_place(extractor: Extractor) -> None:
    text = (
        "Regime rockets killed 2 people in Kafr Nabl, while it rose to 69, the number of raids on Saraqib, Binnish "
        "and Taftanaz since yesterday."
    )
    (incident,) = extractor.extract(Document(id="r", text=text, published=TUESDAY)).incidents
    assert incident.location is not None and incident.location.name == "Kafranbel"
    assert (incident.date, incident.killed) == (date(2020, 2, 11), 2)


def test_a_toll_claimed_by_events_is_no_ones_claim(extractor: Extractor) -> None:
    text = (
        "The security chaos in Sarmada is still claiming lives, as an explosive device killed a shepherd in the town."
    )
    (incident,) = extractor.extract(Document(id="s", text=text, published=TUESDAY)).incidents
    assert (incident.date, incident.killed) == (date(2020, 2, 11), 1)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Clashes raged from 3 to 5 February 2020 near Saraqib.", date(2020, 2, 3), date(2020, 2, 5)),
        ("The fighting between 6 and 9 February left the town empty.", date(2020, 2, 6), date(2020, 2, 9)),
        ("Air strikes on 7-9 February hit Ariha.", date(2020, 2, 7), date(2020, 2, 9)),
        ("The toll rose to 20 on 9 February.", date(2020, 2, 9), None),  # a count before a date is no range
        ("Shelling on 3 February and again on 9 February.", date(2020, 2, 3), None),  # two days, not a range
    ],
)
def test_a_range_of_days_is_one_date_with_an_end(text: str, start: date, end: date | None) -> None:
    first = find_dates(text, TUESDAY)[0]
    assert (first.value, first.end_value) == (start, end)


def test_a_multi_day_event_carries_its_date_end(extractor: Extractor) -> None:
    text = "Regime forces and HTS fighters clashed from 3 to 5 February 2020 in Saraqib, killing 4 fighters."
    (incident,) = extractor.extract(Document(id="r", text=text, published=TUESDAY)).incidents
    assert (incident.date, incident.date_end) == (date(2020, 2, 3), date(2020, 2, 5))


def test_a_while_clause_carries_a_round_up_sentence_into_the_region(extractor: Extractor) -> None:
    """A monitor's round-up joins one province's event to another's with ", while": the Idlib clause is an event of
    its own when everything before it lies in other provinces."""
    text = (
        "The Observatory monitored artillery shelling on Tal Rifaat in the northern countryside of Aleppo, which "
        "damaged several houses, while a young man was killed by sniper fire in Sarmin in the eastern countryside "
        "of Idlib."
    )
    (incident,) = extractor.extract(Document(id="w1", text=text, published=TUESDAY)).incidents
    assert incident.location is not None and incident.location.name == "Sarmin"
    assert incident.killed == 1 and incident.evidence.sentence.startswith("a young man was killed")


def test_a_while_clause_with_a_toll_at_a_place_of_its_own_is_an_event_of_its_own(extractor: Extractor) -> None:
    """SOHR's round-ups join two events of the region with ", while": the toll belongs to the clause's place, not to
    the first place of the sentence."""
    text = (
        "On Monday regime forces shelled Kafr Nabl and Hass in the southern countryside of Idlib, while two "
        "civilians were killed in a drone strike on Ariha."
    )
    incidents = extractor.extract(Document(id="w2", text=text, published=TUESDAY)).incidents
    found = {(i.location.name if i.location else None, i.sub_event_type, i.killed, i.date) for i in incidents}
    assert found == {("Kafranbel", "Shelling/artillery/missile attack", None, date(2020, 2, 10)),
                     ("Ariha", "Air/drone strike", 2, date(2020, 2, 10))}  # the clause keeps its sentence's date  # fmt: skip


def test_a_while_clause_stays_with_its_sentence_when_it_tells_the_same_events_toll(extractor: Extractor) -> None:
    same_place = "Regime forces shelled Kafr Nabl on Monday, while two civilians were killed in the town."
    (incident,) = extractor.extract(Document(id="w4", text=same_place, published=TUESDAY)).incidents
    assert incident.location is not None and (incident.location.name, incident.killed) == ("Kafranbel", 2)
    toll_first = "Shelling killed a man in Kafr Nabl on Monday, while warplanes struck Hass."  # a toll before it
    incidents = extractor.extract(Document(id="w5", text=toll_first, published=TUESDAY)).incidents
    assert {i.evidence.sentence for i in incidents} == {toll_first}
    elsewhere = (
        "Shelling hit Tal Rifaat in the countryside of Aleppo, while the Observatory documented 40 deaths in the "
        "countryside of Hama, Latakia and Idlib since the agreement."
    )
    assert all(not i.evidence.sentence.startswith("the Observatory")
               for i in extractor.extract(Document(id="w3", text=elsewhere, published=TUESDAY)).incidents)  # fmt: skip
