"""Invented citation numbers leave a model's answer, whole or streamed in pieces split anywhere."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.retrieval.citations import CitationFilter, strip_invented_citations


@pytest.mark.parametrize(
    ("written", "cleaned"),
    [
        ("Velocity compounds [1].", "Velocity compounds [1]."),
        ("Velocity compounds [7].", "Velocity compounds."),
        ("Velocity compounds [0].", "Velocity compounds."),
        ("Velocity compounds [2][9][4].", "Velocity compounds [2][4]."),
        ("Velocity compounds [2, 9, 3].", "Velocity compounds [2, 3]."),
        ("Velocity compounds [ 9 ,12 ]. Next [1].", "Velocity compounds. Next [1]."),
        ("Line one [5]\n[9] line two [4]", "Line one\n line two [4]"),
        ("Keep [see 9] and [] and [1a] as written.", "Keep [see 9] and [] and [1a] as written."),
        ("An unclosed [9", "An unclosed [9"),
    ],
)
def test_only_numbers_of_given_passages_stay(written: str, cleaned: str) -> None:
    assert strip_invented_citations(written, passage_count=4) == cleaned


def test_a_marker_split_across_pieces_is_still_removed() -> None:
    citations = CitationFilter(passage_count=4)
    shown = [citations.feed(piece) for piece in ["It compounds ", "[", "9", "]", " and plateaus [", "2]."]]
    shown.append(citations.flush())
    assert "".join(shown) == "It compounds and plateaus [2]."
    assert shown[:4] == ["It compounds", "", "", ""]  # nothing of "[9" reaches the person while it is unfinished


PIECES = st.text(alphabet="ab .,\n\t[]0123456789", max_size=60)


@given(text=PIECES, passage_count=st.integers(min_value=1, max_value=12), cuts=st.lists(st.integers(0, 60)))
def test_streaming_in_any_pieces_gives_the_whole_text_cleaned(text: str, passage_count: int, cuts: list[int]) -> None:
    bounds = sorted({0, len(text), *(cut for cut in cuts if cut <= len(text))})
    citations = CitationFilter(passage_count)
    streamed = "".join(citations.feed(text[a:b]) for a, b in zip(bounds, bounds[1:], strict=False))
    assert streamed + citations.flush() == strip_invented_citations(text, passage_count)


MARKERS = st.lists(st.integers(0, 20), min_size=1, max_size=3).map(lambda ns: f"[{', '.join(map(str, ns))}]")
ANSWERS = st.lists(st.one_of(st.sampled_from(["It", "compounds", " ", ".", "\n", "14 ms"]), MARKERS)).map("".join)
MARKER = re.compile(r"\[(\d+(?:, \d+)*)\]")


@given(text=ANSWERS, passage_count=st.integers(min_value=1, max_value=12))
def test_no_invented_number_survives_and_no_real_one_is_lost(text: str, passage_count: int) -> None:
    cleaned = strip_invented_citations(text, passage_count)
    kept = [int(n) for found in MARKER.findall(cleaned) for n in found.split(",")]
    valid = [int(n) for found in MARKER.findall(text) for n in found.split(",") if 1 <= int(n) <= passage_count]
    assert kept == valid
    assert re.sub(r"[ \t]*\[[^\]]*\]", "", cleaned) == re.sub(r"[ \t]*\[[^\]]*\]", "", text)  # the words stay
