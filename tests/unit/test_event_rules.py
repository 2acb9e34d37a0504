"""The event rules of data/events.yaml as tables, without the statistical model: each rule codes at least three
sentences and leaves at least one to another rule, by ACLED's precedence (means of attack before generic verbs,
territory before fighting, abduction before attack)."""

from __future__ import annotations

import pytest

from processors.events import Clause, EventRules, Territory
from processors.resources import load_resources

GOV = Territory(main_clause=True, government_taker=True)
OTHER = Territory(main_clause=True, government_taker=False)
Row = tuple[str, bool, Territory | None]

# rule id -> (sentences it must code, sentences it must not code); a sentence is (text, actor 1 government?, verb)
TABLE: dict[str, tuple[list[Row], list[Row]]] = {
    "territory-non-violent": (
        [
            ("Turkish-backed factions took control of the village after HTS withdrew from it.", False, OTHER),
            ("HTS handed over the checkpoint and the National Front took over the area.", False, OTHER),
            ("Regime forces entered and seized the town without resistance.", True, GOV),
        ],
        [("Regime forces captured the village after fierce clashes with rebels.", True, GOV)],
    ),
    "territory-government": (
        [
            ("Regime forces recaptured the town of Kafranbel.", True, GOV),
            ("Syrian government forces regained control of the village.", True, GOV),
            ("Russian-backed troops took control of Maarat al-Numan after heavy fighting.", True, GOV),
        ],
        [
            ("Regime forces failed to recapture the hill.", True, GOV),
            ("Regime forces captured two rebels near the town.", True, GOV),
            ("Shelling hit the village that regime forces captured last year.", False, Territory(False, True)),
        ],
    ),
    "territory-non-state": (
        [
            ("HTS fighters captured the village of Tal Malah.", False, OTHER),
            ("Opposition factions retook the town.", False, OTHER),
            ("Rebels overran regime positions south of Saraqib.", False, OTHER),
        ],
        [
            ("Rebels tried to capture the village.", False, OTHER),
            ("Regime forces recaptured the town of Kafranbel.", True, GOV),
        ],
    ),
    "chemical": (
        [
            ("Regime helicopters dropped barrel bombs loaded with chlorine on the town.", True, None),
            ("A chemical attack on Khan Shaykhun killed dozens.", False, None),
            ("Rockets carrying toxic gas were fired at the village.", False, None),
        ],
        [("The delegates discussed chemical weapons stockpiles in Geneva.", False, None)],
    ),
    "clash": (
        [
            ("Clashes broke out between HTS and regime forces near Kafr Nabl.", False, None),
            ("Rebels ambushed a regime patrol on the road to Saraqib.", False, None),
            ("Turkish drones supported the rebels as they fought regime forces.", False, None),
            ("The two sides exchanged fire on the frontline.", False, None),
        ],
        [("A Turkish drone targeted HTS positions.", False, None)],
    ),
    "suicide-bomb": (
        [
            ("A suicide bomber blew himself up at a checkpoint.", False, None),
            ("An HTS suicide car exploded near a regime position.", False, None),
            ("A man wearing an explosive belt self-detonated in the market.", False, None),
        ],
        [("A car bomb exploded in the market.", False, None)],
    ),
    "seizure-of-fighters": (
        [
            ("HTS arrested three members of Hurras al-Din.", False, None),
            ("Rebels captured two regime soldiers.", False, None),
            ("Unknown gunmen kidnapped an HTS commander.", False, None),
        ],
        [("Gunmen kidnapped a doctor in Sarmada.", False, None)],
    ),
    "abduction": (
        [
            ("Gunmen kidnapped a doctor in Sarmada.", False, None),
            ("A child was abducted by unknown persons.", False, None),
            ("Two women were forcibly disappeared after a raid on their home.", False, None),
        ],
        [("HTS arrested a civilian activist in Idlib city.", False, None)],
    ),
    "disrupted-weapons": (
        [
            ("Rebels shot down a regime drone.", False, None),
            ("Engineers defused an IED on the road to Ariha.", False, None),
            ("Air defences intercepted missiles over the base.", False, None),
        ],
        [("A drone struck a car near Sarmada.", False, None)],
    ),
    "air-strike": (
        [
            ("A Turkish drone targeted HTS positions.", False, None),
            ("Russian warplanes carried out airstrikes on Ariha, killing four civilians.", False, None),
            ("Regime helicopters dropped barrel bombs on the village.", True, None),
            ("A drone strike hit a vehicle carrying HTS members near Sarmada.", False, None),
        ],
        [("Regime forces shelled the town with artillery.", True, None)],
    ),
    "remote-explosive": (
        [
            ("An IED exploded targeting a Turkish patrol on the M4.", False, None),
            ("A landmine explosion killed a shepherd.", False, None),
            ("A car bomb went off near a checkpoint in Sarmada.", False, None),
        ],
        [("Regime forces fired rockets at the town.", True, None)],
    ),
    "grenade": (
        [
            ("A man threw a grenade at a shop in Idlib city.", False, None),
            ("Gunmen hurled grenades at an HTS checkpoint.", False, None),
            ("A hand grenade attack wounded two fighters.", False, None),
        ],
        [("A mortar shell landed on the market.", False, None)],
    ),
    "attack-on-positions": (
        [
            ("Opposition rebels shelled regime positions on the Ruwaiha front.", False, None),
            ("A sniper killed a regime soldier near Kafr Nabl.", False, None),
            ("HTS targeted the positions of regime forces with heavy machine guns.", False, None),
        ],
        [
            ("A Turkish drone targeted HTS positions.", False, None),
            ("An IED targeted regime positions near Saraqib.", False, None),
        ],
    ),
    "shelling": (
        [
            ("Regime forces shelled the town of Ariha, killing two civilians.", True, None),
            ("Rockets fell on the outskirts of Idlib city.", False, None),
            ("Turkish artillery bombarded villages near Tal Rifaat.", False, None),
        ],
        [("Warplanes bombed the town.", False, None)],
    ),
    "bombing-unspecified": (
        [
            ("The town was bombed overnight.", False, None),
            ("Bombing hit the outskirts of Binnish.", False, None),
            ("Regime forces bombed a school in Maarat al-Numan.", True, None),
        ],
        [("Regime jets bombed a school in Maarat al-Numan.", True, None)],
    ),
    "protest-intervention": (
        [
            ("HTS dispersed a protest in Idlib city with tear gas.", False, None),
            ("Gunmen fired at protesters demonstrating against HTS.", False, None),
            ("Police beat demonstrators at a sit-in.", False, None),
        ],
        [("Hundreds of people demonstrated in Binnish against the regime.", False, None)],
    ),
    "protest": (
        [
            ("Hundreds of people demonstrated in Binnish against the regime.", False, None),
            ("Residents protested the rising price of bread in Sarmada.", False, None),
            ("Displaced people staged a sit-in near the Turkish border.", False, None),
        ],
        [("Security forces dispersed the protest with tear gas.", False, None)],
    ),
    "attack-on-civilians": (
        [
            ("Unknown gunmen shot and killed a civilian in Sarmada.", False, None),
            ("A farmer was shot dead by a gunman near Harem.", False, None),
            ("Gunmen assassinated a doctor in Idlib city.", False, None),
        ],
        [("Gunmen shot dead an HTS commander in Sarmada.", False, None)],
    ),
    "attack": (
        [
            ("Gunmen shot dead an HTS commander in Sarmada.", False, None),
            ("Unknown persons attacked a Turkish convoy.", False, None),
            ("An HTS checkpoint came under fire overnight.", False, None),
        ],
        [("Unknown gunmen shot and killed a civilian in Sarmada.", False, None)],
    ),
    "arrests": (
        [
            ("HTS arrested a civilian activist in Idlib city.", False, None),
            ("The Salvation Government detained two journalists.", False, None),
            ("Police rounded up dozens of men in Sarmada.", False, None),
        ],
        [("HTS arrested three members of Hurras al-Din.", False, None)],
    ),
    "looting": (
        [
            ("HTS bulldozed houses in the village.", False, None),
            ("Militias looted shops in Kafranbel.", False, None),
            ("Fighters burned houses belonging to displaced families.", False, None),
        ],
        [("Gunmen set fire to a car.", False, None)],
    ),
    "base-established": (
        [
            ("Turkish forces established a new military point near Qmenas.", False, None),
            ("HTS established a headquarters in the school.", False, None),
            ("Turkish troops established new posts near Taftanaz.", False, None),
        ],
        [("Turkish forces withdrew from the military point.", False, None)],
    ),
    "riot": (
        [
            ("A mob stormed the local council building.", False, None),
            ("Angry residents torched the car of an HTS official.", False, None),
            ("Rioters set fire to tyres in the street.", False, None),
        ],
        [("Residents protested in the square.", False, None)],
    ),
}


@pytest.fixture(scope="module")
def rules() -> EventRules:
    return load_resources().rules


def test_every_rule_has_a_table(rules: EventRules) -> None:
    assert {r.id for r in rules.rules} == set(TABLE)
    assert all(len(yes) >= 3 and len(no) >= 1 for yes, no in TABLE.values())


@pytest.mark.parametrize(
    ("rule_id", "row"), [(rule_id, row) for rule_id, (yes, _) in TABLE.items() for row in yes]
)  # fmt: skip
def test_rule_codes_its_sentences(rules: EventRules, rule_id: str, row: Row) -> None:
    text, government, territory = row
    found = rules.classify(Clause(text, government, territory))
    assert found is not None and found.rule_id == rule_id, (text, found)
    spec = next(r for r in rules.rules if r.id == rule_id)
    assert (found.event_type, found.sub_event_type) == (spec.event_type, spec.sub_event_type)


@pytest.mark.parametrize(
    ("rule_id", "row"), [(rule_id, row) for rule_id, (_, no) in TABLE.items() for row in no]
)  # fmt: skip
def test_rule_leaves_other_sentences_alone(rules: EventRules, rule_id: str, row: Row) -> None:
    text, government, territory = row
    found = rules.classify(Clause(text, government, territory))
    assert found is None or found.rule_id != rule_id, (text, found)


@pytest.mark.parametrize(
    ("text", "sub_event_type"),
    [
        ("A Turkish drone targeted HTS positions.", "Air/drone strike"),
        ("Russian warplanes targeted rebel positions in Jabal al-Zawiya.", "Air/drone strike"),
        ("An IED targeted regime positions near Saraqib.", "Remote explosive/landmine/IED"),
        ("A grenade attack targeted an HTS position.", "Grenade"),
        ("Regime forces shelled the town, hitting a school.", "Shelling/artillery/missile attack"),
    ],
)
def test_the_means_of_attack_decides_before_generic_verbs(rules: EventRules, text: str, sub_event_type: str) -> None:
    found = rules.classify(Clause(text, False, None))
    assert found is not None and found.sub_event_type == sub_event_type


def test_rules_run_on_a_blank_pipeline_with_our_components() -> None:
    import spacy

    from processors.nlp import add_components

    resources = load_resources()
    nlp = add_components(spacy.blank("en"), resources)
    doc = nlp("Regime forces recaptured the village of Kafr Nabl.")
    (actor,) = doc.spans["actors"]
    government = actor.label_ in resources.government_camp
    found = resources.rules.classify(Clause(doc.text, government, None))
    assert found is not None and found.rule_id == "territory-government"
    assert [resources.gazetteer.places[s.label_].name for s in doc.spans["places"]] == ["Kafranbel"]


def test_weapons_named_and_generic_ones_suppressed(rules: EventRules) -> None:
    assert rules.weapons_in("A car bomb (VBIED) exploded.") == ["car bomb"]
    assert rules.weapons_in("An anti-tank guided missile hit the tank.") == ["guided missile"]
    assert set(rules.weapons_in("Rocket and mortar fire, then a drone.")) == {"rockets", "mortars", "drones"}
