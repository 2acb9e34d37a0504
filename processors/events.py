"""Classifies an incident sentence into ACLED's event_type / sub_event_type, and names its weapons (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from processors.actors import GOVERNMENT_SIDE


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{pattern})\b", re.I)


TERRITORY = _re(
    r"captur\w*|took (?:full )?control|take control|taking control|(?<![-\w])controlled(?! by)|seiz(?:ed|es|ing)|"
    r"recaptur\w*|regain\w*|retook|retak\w+|advanced (?:into|on)|expelled|liberated|overr(?:an|un)|"
    r"gained control|wrested|fell to|restored control|took over|establish\w* (?:full |complete )?control|"
    r"managed to control|in control of"
)
# "captured 2 rebels": people, not ground, were taken
CAPTURED_PEOPLE = re.compile(
    r"\b(?:captur\w*|seiz\w*)\s+(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|dozens|a number)\b",
    re.I,
)
ATTEMPT = _re(r"attempt\w*|tried|try(?:ing)? to|failed|repelled|thwarted|foiled")
NON_VIOLENT = _re(r"without (?:a fight|fighting|clashes|resistance)|handed over|peacefully|withdrew from")
CHEMICAL = _re(r"chemical|chlorine|sarin|toxic gas|poison gas")
SUICIDE = _re(r"suicide (?:bomb\w*|attack\w*|car|vest|belt)|suicide bomber|self-detonat\w*|blew (?:himself|herself) up")
CLASH = _re(
    r"clash\w*|fighting|fought|battles?|exchang\w* (?:of )?(?:\w+ ){0,2}(?:fire|gunfire|shelling|shells|attacks|barrages|"
    r"targeting|rockets)|(?:shell\w*|target\w*|attack\w*) (?:the )?(?:\w+ ){0,2}positions?|"
    r"(?:shelling|fire) exchange|exchange shelling|engag\w+|skirmish\w*|confrontations?|ambush\w*|"
    r"infiltrat\w*|firefights?|gunfights?|sniper|offensive|counter-?attack\w*|repel\w*"
)
ABDUCTION = _re(
    r"abduct\w*|kidnap\w*|taken hostage|held hostage|forcibly disappeared|forced disappearance|"
    r"(?:was|were)(?: \w+ly)? taken by|(?:was|were) (?:stopped|seized) by (?:an? )?(?:armed|unknown|unidentified)"
)
AIR = _re(
    r"air ?strikes?|airstrikes?|air raids?|warplanes?|war planes|jets?|helicopters?|barrel bombs?|drones?|aerial|"
    r"aircraft|UAVs?|airplanes?|bombers?|air force|air-to-surface|double[- ]tap"
)
IED = _re(
    r"IEDs?|improvised explosive|explosive devices?|land ?mines?|mines?|car bombs?|VBIEDs?|booby[- ]trap\w*|"
    r"(?:bomb|explosive)[- ]laden|motorcycle bomb|explosions?|exploded|explod\w+|detonat\w*|blasts?|"
    r"leftover munitions|unexploded|remnants of war|sticky bomb|bomb"
)
GRENADE = _re(r"grenades?")
SHELLING = _re(
    r"shell(?:s|ed|ing)?|artillery|mortars?|rockets?|missiles?|MLRS|Grad|Katyusha|cannon|howitzers?|tank fire|"
    r"bombard\w*|ATGM|anti-tank|shrapnel|projectiles?|missle"
)
BOMBED = _re(r"bombed|bombing")
ATTACK = _re(
    r"attack\w*|assault\w*|target\w*|opened fire|fired (?:on|at|upon)|shot|shooting|gunfire|gunshots?|"
    r"assassinat\w*|executed|execution|murder\w*|stabb\w*|beat(?:en|ing)?|tortur\w*|came under fire|raid\w*|"
    r"killed|struck|hit|(?:injured|wounded|hurt) by|beheaded|bod(?:y|ies) of"
)
ARREST = _re(r"arrest\w*|detain\w*|rounded up|apprehend\w*")
PROTEST = _re(r"protest\w*|demonstrat\w*|rall(?:y|ied|ies)|sit-ins?|marched")
PROTEST_FORCE = _re(
    r"dispers\w*|tear gas|fired (?:at|on) (?:the )?(?:protesters|demonstrators)|beat\w* (?:protesters|demonstrators)"
)
RIOT = _re(r"riot\w*|mob|set fire|torched|stormed")
DISRUPTED = _re(r"defus\w*|dismantl\w*|shot down|intercept\w*|downed|thwarted (?:an? )?(?:attack|attempt)")
LOOTING = _re(r"loot\w*|demolish\w*|bulldoz\w*|burn(?:ed|t) (?:down )?(?:houses|homes|shops|crops|fields)")
HQ = _re(r"established (?:a |an )?(?:new )?(?:military )?(?:point|post|base|headquarters|position)s?")

WEAPONS = {
    "car bomb": r"car bombs?|VBIEDs?|vehicle-borne|(?:bomb|explosive)[- ]laden (?:car|vehicle|truck)|booby-trapped (?:car|vehicle)",
    "IED": r"IEDs?|improvised explosive|explosive devices?|sticky bomb|motorcycle bomb",
    "landmine": r"land ?mines?|mines?|leftover munitions|unexploded|remnants of war",
    "guided missile": r"guided missiles?|ATGMs?|anti-tank (?:guided )?missiles?|Kornet|TOW missiles?",
    "missile": r"(?<!guided )(?<!anti-tank )missiles?|missle",
    "artillery": r"artillery|howitzers?|shells?|shelling|tank fire|cannon",
    "mortars": r"mortars?",
    "rockets": r"rockets?|MLRS|Grad|Katyusha|rocket launchers?",
    "barrel bombs": r"barrel bombs?",
    "warplanes": r"warplanes?|war planes|jets?|aircraft|air ?strikes?|airstrikes?|air raids?",
    "helicopters": r"helicopters?",
    "drones": r"drones?|UAVs?",
    "small arms": r"small arms|gunfire|sniper|machine guns?|rifles?|opened fire|gunshots?|shot",
    "grenade": r"grenades?",
    "suicide bomb": r"suicide (?:bomb\w*|vest|belt|car)",
    "chemical weapon": r"chemical|chlorine|sarin",
}
_WEAPON_RE = {name: _re(pattern) for name, pattern in WEAPONS.items()}
MEMBER_VICTIM = _re(
    r"members?|fighters?|commanders?|militants?|cells?|administrators?|leaders?|emirs?|operatives?|officials? of|"
    r"rebels?|soldiers?|militiam[ae]n|gunmen"
)
CIVILIAN_VICTIM = _re(
    r"civilians?|aid workers?|NGO|INGO|volunteers?|staff|nurses?|doctors?|children|child|women|woman|farmers?|"
    r"shepherds?|residents?|displaced|journalists?|activists?|teachers?|family|a man|beneficiary|drivers?|"
    r"medical|hospital|ambulance|rescuers?|White Helmets|civil defen[cs]e|market|camp"
)
MILITARY_VICTIM = _re(
    r"forces|soldiers?|troops|patrols?|convoys?|military|fighters?|militiam[ae]n|rebels?|checkpoints?|positions?|"
    r"militants?|members of|commanders?|army|HTS|vehicle|observation posts?|base|headquarters"
)


@dataclass(frozen=True)
class EventClass:
    event_type: str
    sub_event_type: str
    strength: float  # how directly the sentence names the event (feeds confidence)


@dataclass(frozen=True)
class Territory:
    """What the parse says about a territory verb: whether it heads the main clause, and who took the ground."""

    main_clause: bool
    government_taker: bool | None  # None: the subject of the verb names no known actor


def classify(text: str, actor1: str | None, territory: Territory | None = None) -> EventClass | None:
    """ACLED type of the event a sentence reports, or None. Order encodes ACLED's precedence rules.

    territory: from the dependency parse; without it a territory verb anywhere counts as the main one.
    """
    taken = TERRITORY.search(text) and not ATTEMPT.search(text) and not CAPTURED_PEOPLE.search(text)
    if taken and (territory is None or territory.main_clause):
        if NON_VIOLENT.search(text) and not CLASH.search(text):
            return EventClass("Strategic developments", "Non-violent transfer of territory", 0.6)
        government = (
            territory.government_taker
            if territory and territory.government_taker is not None
            else (actor1 in GOVERNMENT_SIDE if actor1 else False)
        )
        if government:
            return EventClass("Battles", "Government regains territory", 0.9)
        return EventClass("Battles", "Non-state actor overtakes territory", 0.8)
    if CHEMICAL.search(text) and (ATTACK.search(text) or SHELLING.search(text) or AIR.search(text)):
        return EventClass("Explosions/Remote violence", "Chemical weapon", 0.8)
    if CLASH.search(text):
        return EventClass("Battles", "Armed clash", 0.9)
    if SUICIDE.search(text):
        return EventClass("Explosions/Remote violence", "Suicide bomb", 0.9)
    if ABDUCTION.search(text) or ARREST.search(text) or CAPTURED_PEOPLE.search(text):
        if MEMBER_VICTIM.search(text) and not CIVILIAN_VICTIM.search(text):
            return EventClass("Battles", "Armed clash", 0.6)  # an armed group seizing another's members
        if ABDUCTION.search(text):
            return EventClass("Violence against civilians", "Abduction/forced disappearance", 0.8)
    if DISRUPTED.search(text):
        return EventClass("Strategic developments", "Disrupted weapons use", 0.6)
    if AIR.search(text):
        return EventClass("Explosions/Remote violence", "Air/drone strike", 0.9)
    if IED.search(text):
        return EventClass("Explosions/Remote violence", "Remote explosive/landmine/IED", 0.85)
    if GRENADE.search(text):
        return EventClass("Explosions/Remote violence", "Grenade", 0.8)
    if SHELLING.search(text):
        return EventClass("Explosions/Remote violence", "Shelling/artillery/missile attack", 0.85)
    if BOMBED.search(text):
        return EventClass("Explosions/Remote violence", "Air/drone strike", 0.6)
    if PROTEST.search(text):
        if PROTEST_FORCE.search(text):
            return EventClass("Protests", "Protest with intervention", 0.7)
        return EventClass("Protests", "Peaceful protest", 0.7)
    if ATTACK.search(text):
        civilian = CIVILIAN_VICTIM.search(text) and not MILITARY_VICTIM.search(text)
        if civilian:
            return EventClass("Violence against civilians", "Attack", 0.7)
        return EventClass("Battles", "Armed clash", 0.6)
    if ARREST.search(text):
        return EventClass("Strategic developments", "Arrests", 0.6)
    if LOOTING.search(text):
        return EventClass("Strategic developments", "Looting/property destruction", 0.5)
    if HQ.search(text):
        return EventClass("Strategic developments", "Headquarters or base established", 0.5)
    if RIOT.search(text):
        return EventClass("Riots", "Violent demonstration", 0.5)
    return None


def weapons_in(text: str) -> list[str]:
    found = [name for name, pattern in _WEAPON_RE.items() if pattern.search(text)]
    if "car bomb" in found and "IED" in found:
        found.remove("IED")
    if "guided missile" in found and "missile" in found:
        found.remove("missile")
    return found
