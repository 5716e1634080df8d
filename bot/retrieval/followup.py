"""Follow-up questions: a thread's earlier questions fill in what "that" or "they" refers to."""

import re
from collections.abc import Sequence

_BACK_REFERENCES = frozenset(
    [
        "it",
        "its",
        "it's",
        "that",
        "this",
        "those",
        "these",
        "they",
        "them",
        "their",
        "theirs",
        "he",
        "she",
        "him",
        "her",
        "his",
        "there",
        "then",
        "same",
        "such",
        "one",
        "ones",
        "above",
    ]
)
_OPENERS = re.compile(r"^\s*(and|but|so|also|what about|how about|then|ok|okay|or)\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9']+")
_SHORT_QUESTION_WORDS = 6


def needs_context(question: str) -> bool:
    """Whether a question leans on what came before (a back-reference, an opener like "and", or brevity)."""
    words = [w.lower() for w in _WORD.findall(question)]
    if not words:
        return False
    return (
        bool(_OPENERS.match(question))
        or len(words) <= _SHORT_QUESTION_WORDS
        or any(w in _BACK_REFERENCES for w in words)
    )


def contextual_query(question: str, history: Sequence[str] | None) -> str:
    """The text to retrieve with: the question, preceded by the thread's last question when it needs it."""
    earlier = [turn.strip() for turn in history or () if turn.strip()]
    if not earlier or not needs_context(question):
        return question
    return f"{earlier[-1]}\n{question}"
