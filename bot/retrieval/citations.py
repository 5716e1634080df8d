"""Citation markers a model writes: keep the ones that point at a passage it was given, drop invented ones."""

import re

# A marker such as [2] or [1, 3], with the spaces or tabs before it (so dropping one leaves no gap).
MARKER = re.compile(r"[ \t]*\[[ \t]*(\d+(?:[ \t]*,[ \t]*\d+)*)[ \t]*\]")
# What may still grow into a marker: trailing spaces, then perhaps an unclosed "[2, " at the very end.
UNFINISHED = re.compile(r"[ \t]*(?:\[[\d, \t]*)?\Z")


def strip_invented_citations(text: str, passage_count: int) -> str:
    """`text` with every citation number outside 1..`passage_count` removed (a marker left empty goes whole)."""

    def keep_valid(marker: re.Match[str]) -> str:
        numbers = [int(number) for number in marker.group(1).split(",")]
        valid = [str(number) for number in numbers if 1 <= number <= passage_count]
        if len(valid) == len(numbers):
            return marker.group(0)
        if not valid:
            return ""
        spacing = marker.group(0)[: marker.group(0).index("[")]
        return f"{spacing}[{', '.join(valid)}]"

    return MARKER.sub(keep_valid, text)


class CitationFilter:
    """Strips invented citations from a streamed answer, even when a marker is split across pieces.

    A tail that could still become a marker (spaces, an unclosed "[1") is held back until the next piece
    shows what it is, so feeding pieces and flushing gives exactly `strip_invented_citations` of the whole.
    """

    def __init__(self, passage_count: int) -> None:
        self.passage_count = passage_count
        self._held = ""

    def feed(self, piece: str) -> str:
        """The part of the text so far that is safe to show, cleaned; the rest waits for the next piece."""
        text = self._held + piece
        unfinished = UNFINISHED.search(text)
        cut = unfinished.start() if unfinished else len(text)
        self._held = text[cut:]
        return strip_invented_citations(text[:cut], self.passage_count)

    def flush(self) -> str:
        """Whatever was held back, once the answer is complete."""
        held, self._held = self._held, ""
        return strip_invented_citations(held, self.passage_count)
