"""Misspelt words corrected to the material's own: "colection" finds Collection, "harvy" finds Harvey."""

import functools
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from importlib import resources

from symspellpy import SymSpell, Verbosity

MIN_LETTERS = 5
"""Shorter words are left alone: most are names or acronyms ("uber", "saas"), and one letter off is a new word."""
LONG_WORD = 8
"""From this length two edits may separate a word from its misspelling; below it, one."""
MAX_WORDS = 10_000
"""The material's most frequent words are the ones corrected to: a large team corpus's long tail of rare words
would grow the index (SymSpell keeps every word's deletions) for little gain. 10,000 words take about 14 MB."""
PREFIX_LETTERS = 5
"""How much of each word SymSpell indexes deletions of: 5 rather than its default 7 takes a third of the memory."""
_WORD = re.compile(r"[a-z][a-z'\u2019-]*[a-z]", re.IGNORECASE)


def _plain(word: str) -> str:
    """A word as it is looked up: lowercase, one apostrophe whatever the keyboard typed, no possessive."""
    return word.lower().replace("\u2019", "'").removesuffix("'s")


@functools.cache
def english_words() -> frozenset[str]:
    """The English words symspellpy ships (82,765 of them, with their frequencies): a word among them is not
    a misspelling, whether or not the material uses it ("founded" is not "bounded")."""
    listing = resources.files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt").read_text("utf-8")
    return frozenset(line.split(" ", 1)[0] for line in listing.splitlines() if line)


class Vocabulary:
    """The words of a scope's material, each with how often it occurs; the index of near spellings (SymSpell)
    is built on the first word it is asked about."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.counts = Counter(_plain(word) for text in texts for word in _WORD.findall(text))
        self._index: SymSpell | None = None
        self._lock = threading.Lock()

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def nearest(self, word: str) -> tuple[int, int, str] | None:
        """The closest word of the material as (edit distance, minus its count, word), or None."""
        with self._lock:
            if self._index is None:
                self._index = SymSpell(max_dictionary_edit_distance=2, prefix_length=PREFIX_LETTERS)
                for known, count in self.counts.most_common(MAX_WORDS):
                    self._index.create_dictionary_entry(known, count)
            index = self._index
        distance = 2 if len(word) >= LONG_WORD else 1
        suggestions = index.lookup(word, Verbosity.TOP, max_edit_distance=distance)
        return (suggestions[0].distance, -suggestions[0].count, suggestions[0].term) if suggestions else None


def corrected(question: str, vocabularies: Sequence[Vocabulary]) -> str:
    """The question with each word the material and English both lack replaced by the material's nearest word
    ("how did harvy solve the cold start" -> "harvey"), the most frequent among the nearest."""
    english = english_words()

    def correct(match: re.Match[str]) -> str:
        typed = match.group(0)
        stem = _plain(typed)
        if len(stem) < MIN_LETTERS or stem in english or any(stem in vocabulary for vocabulary in vocabularies):
            return typed
        found = [near for vocabulary in vocabularies if (near := vocabulary.nearest(stem)) is not None]
        possessive = "'s" if len(typed) > len(stem) else ""
        return min(found)[2] + possessive if found else typed

    return _WORD.sub(correct, question)
