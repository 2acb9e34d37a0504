from __future__ import annotations

import pytest

from processors.casualties import Casualties, count, split_share
from processors.geo.names import loose_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The blast came during a joint patrol, wounding three Russian soldiers.", Casualties(None, 3, None)),
        ("which led to the injury of two Russian soldiers.", Casualties(None, 2, None)),
        ("Airstrikes hit the town, killing 5 and injuring 10.", Casualties(5, 10, None)),
        ("A dozen civilians were killed in the shelling.", Casualties(12, None, None)),
        ("Neither injuries nor fatalities were reported.", Casualties(0, 0, None)),
        ("No fatalities were reported.", Casualties(0, None, None)),
        ("A man was shot and killed during clashes.", Casualties(1, None, None)),
        ("One of the fighters was killed while the other was seriously injured.", Casualties(1, 1, None)),
        ("Two volunteers were killed and four others wounded.", Casualties(2, 4, None)),
        ("Two INGO workers (Italian and British) were abducted by ISIS.", Casualties(None, None, 2)),
        ("an HTS sniper shot and killed a pro-regime militiaman", Casualties(1, None, None)),
        ("unidentified gunmen shot dead a fighter in the area.", Casualties(1, None, None)),
        (
            "25 fighters were killed while regime forces suffered 36 fatalities. Total fatalities coded to 61.",
            Casualties(61, None, None),
        ),
        ("the targeting of previous patrols which injured Russian soldiers", Casualties(None, None, None)),
        ("Turkey agreed to set up 12 observation posts in 2018.", Casualties(None, None, None)),
    ],
)
def test_counts(text: str, expected: Casualties) -> None:
    assert count(text) == expected


def test_split_share_per_place() -> None:
    def same(a: str, b: str) -> bool:
        return loose_key(a) == loose_key(b)

    listed = "Total fatalities of 47 are split as follows: 3 Ma'aratah, 3 Ferwan, 2 Al-Haraki, and 2 Tah."
    assert split_share(listed, ["Al-Haraki"], same) == 2
    assert split_share(listed, ["Ferwan"], same) == 3
    assert split_share(listed, ["Saraqib"], same) is None
    assert split_share("Total fatalities 15 are split, 5 each, between the three locations.", ["x"], same) == 5
    assert split_share("No split here.", ["x"], same) is None
