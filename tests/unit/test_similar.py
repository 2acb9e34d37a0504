"""Near-duplicate articles (ingest/similar.py): wire copy is found, different reports of one place are not."""

from __future__ import annotations

from ingest.similar import NearDuplicates, Signature, signature

WIRE = (
    "Russian warplanes carried out a series of raids on the town of Ariha in the southern countryside of Idlib on "
    "Monday morning, killing four civilians including a woman and wounding at least eleven others, according to "
    "local rescue workers who pulled survivors from the rubble of two residential buildings near the vegetable "
    "market. The strikes came hours after government forces shelled villages in the Jabal al-Zawiya area with "
    "artillery and rockets, forcing dozens of families to flee north towards camps near the Turkish border. Civil "
    "defence teams said the wounded were taken to a hospital in the city, which has itself been damaged twice this "
    "year. Residents said the aircraft took off from the Hmeimim air base on the coast and circled for twenty "
    "minutes before dropping their bombs on the crowded neighbourhood."
)
OTHER = (
    "Government forces and their allies shelled the town of Ariha in the southern countryside of Idlib on Tuesday "
    "with heavy artillery, and fighters of the opposition factions answered with rockets on the positions of the "
    "regime in the nearby hills. No casualties were reported in the exchange, but several houses were damaged and "
    "the main road to the city was closed for hours while teams cleared the debris. Local councils asked aid groups "
    "to send tents to families who left their homes in the last days, as the number of displaced people in camps "
    "along the border has grown sharply since the start of the month, according to a coordination group."
)


def test_a_republished_wire_story_is_a_copy_of_the_first_article() -> None:
    index = NearDuplicates(threshold=0.7)
    first = signature(WIRE)
    assert first is not None and index.original_of("a1", first) is None
    index.add("a1", first, None)
    copy = "By our correspondent. " + WIRE.replace("according to", "said") + " Follow us for more news."
    assert index.original_of("a2", signature(copy)) == "a1"
    index.add("a2", signature(copy), "a1")
    assert index.original_of("a3", signature(copy + " Updated.")) == "a1"  # a copy of the copy: the original


def test_another_report_about_the_same_town_is_not_a_copy_and_short_texts_are_not_compared() -> None:
    index = NearDuplicates(threshold=0.7)
    index.add("a1", signature(WIRE), None)
    assert index.original_of("a2", signature(OTHER)) is None
    assert signature("Shelling on Ariha, four killed.") is None
    assert index.original_of("a1", signature(WIRE)) is None  # a revision of itself is no copy


def test_signatures_round_trip_through_bytes_and_capacity_is_bounded() -> None:
    index = NearDuplicates(threshold=0.7, capacity=2)
    sig = signature(WIRE)
    assert sig is not None
    stored = Signature(bytes(sig.hashvalues))
    index.add("a1", stored, None)
    index.add("b", signature(OTHER), None)
    index.add("c", signature(OTHER + " Another paragraph about other things entirely."), None)
    assert len(index) == 2 and index.original_of("z", sig) is None  # a1 left the index


def _shingles(text: str) -> set[str]:
    words = text.lower().replace(",", " ").replace(".", " ").split()
    return {" ".join(words[i : i + 5]) for i in range(len(words) - 4)}


def test_the_fast_input_hash_estimates_jaccard_as_well_as_a_minhash_should() -> None:
    """crc32 input hashes pre-mixed by the affine32 scheme: on pairs of known overlap the estimate stays within the
    MinHash error of 128 permutations (about 1/sqrt(128) = 0.09) of the true shingle Jaccard."""
    words = (WIRE + " " + OTHER).split()
    for cut in (20, 40, 60, 80):
        a = " ".join(words[: 60 + cut])
        b = " ".join(words[cut : 60 + 2 * cut])
        sa, sb = signature(a), signature(b)
        assert sa is not None and sb is not None
        true = len(_shingles(a) & _shingles(b)) / len(_shingles(a) | _shingles(b))
        assert abs(sa.minhash.jaccard(sb.minhash) - true) < 0.15, (cut, true)
