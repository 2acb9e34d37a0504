from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from processors.dates import find_dates

PUBLISHED = datetime(2020, 9, 16, 10, 0, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("On August 25, Russian forces were attacked.", date(2020, 8, 25), "day"),
        ("on Tuesday, a patrol was hit", date(2020, 9, 15), "day"),
        ("Shelling killed two yesterday.", date(2020, 9, 15), "day"),
        ("Clashes took place last week.", date(2020, 9, 9), "week"),
        ("On 07 March 2020, regime forces took control", date(2020, 3, 7), "day"),
        ("in March, drones struck", date(2020, 3, 1), "month"),
        ("last month", date(2020, 8, 1), "month"),
        ("On Sept. 2 a mine exploded", date(2020, 9, 2), "day"),
        ("on 3 September 2020", date(2020, 9, 3), "day"),
    ],
)
def test_resolves_against_publication(text: str, expected: date, precision: str) -> None:
    found = find_dates(text, PUBLISHED)
    assert [(d.value, d.precision) for d in found] == [(expected, precision)]


def test_dates_after_publication_or_long_before_are_ignored() -> None:
    assert find_dates("The drivers were released on 30 June 2021.", PUBLISHED) == []
    assert find_dates("implementing the 2018 Sochi Agreement", PUBLISHED) == []
    assert find_dates("On 3 September 2012 it began", PUBLISHED) == []


def test_offsets_point_into_the_text() -> None:
    text = "Report. On August 17, a vehicle was hit."
    (found,) = find_dates(text, PUBLISHED, offset=100)
    assert text[found.start - 100 : found.end - 100] == "August 17"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("On 5 February 2020 warplanes struck.", date(2020, 2, 5)),
        ("On Sept. 3, 2019 clashes erupted.", date(2019, 9, 3)),
        ("on the 2nd of March clashes erupted", date(2019, 3, 2)),  # year-less and after the base: the year before
        ("on 10 February shelling", date(2020, 2, 10)),
        ("on 29 February shelling", date(2016, 2, 29)),  # no 29 February in 2019: dateparser decides
        ("2020-01-30 an IED", date(2020, 1, 30)),
    ],
)
def test_calendar_dates_read_by_the_standard_library_or_dateparser(text: str, expected: date) -> None:
    base = datetime(2020, 2, 11, 9, tzinfo=UTC) if "29 February" not in text else datetime(2016, 3, 5, tzinfo=UTC)
    (found,) = find_dates(text, base)
    assert found.value == expected
