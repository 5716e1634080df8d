"""Follow-up questions: a thread's earlier questions fill in what "that" or "they" refers to."""

import re
from collections.abc import Callable, Sequence

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


# Pronouns that point forward or within the question, not back at the thread: "is it a problem that every squad
# keeps its own copy", "does it matter whether …", "each team has its own dashboard".
_POINTING_FORWARD = re.compile(
    r"\b(?:is|isn't|was|would|will|does|doesn't|did|can|could)\s+it\s+(?:[\w'-]+\s+){0,4}?"
    r"(?:that|to|if|whether|when)\b"
    r"|\b(?:every|each|any|a|an|the|our)\s+[\w-]+(?:\s+[\w-]+){0,2}?\s+(?:its|their)(?=\s+own\b)",
    re.IGNORECASE,
)


def needs_context(question: str, *, names_its_topic: bool = False) -> bool:
    """Whether a question leans on what came before (a back-reference, an opener like "and", or brevity).

    A short question that `names_its_topic` ("what is a moat?") is not short of context: only a back-reference
    or an opener makes it lean on the thread ("what is it?", "and a moat?").
    """
    words = [w.lower() for w in _WORD.findall(question)]
    if not words:
        return False
    pointing_back = {w.lower() for w in _WORD.findall(_POINTING_FORWARD.sub(" ", question))} & _BACK_REFERENCES
    return (
        bool(_OPENERS.match(question))
        or (len(words) <= _SHORT_QUESTION_WORDS and not names_its_topic)
        or bool(pointing_back)
    )


_FILLER = frozenset(["each", "all", "both", "other", "why", "how", "what", "when", "who", "which", "so"])
# A trailing "what should we do?" or "how do we fix that?" asks for the same thing again, not for a new
# topic: on its own it would retrieve whatever passage talks about doing or fixing things.
_GENERIC_ASK = frozenset(
    [
        "do",
        "does",
        "did",
        "doing",
        "done",
        "we",
        "i",
        "you",
        "us",
        "our",
        "my",
        "your",
        "should",
        "can",
        "could",
        "would",
        "will",
        "is",
        "are",
        "be",
        "the",
        "a",
        "an",
        "to",
        "fix",
        "fixing",
        "solve",
        "handle",
        "deal",
        "about",
        "now",
        "next",
        "even",
        "actually",
        "really",
        "what's",
        "whats",
        "difference",
        "differences",
        "different",
        "between",
    ]
)
# How the answer should be put, not what it is about: "in one sentence" would otherwise retrieve "one-off".
_STYLE_REQUEST = re.compile(
    r"\b(?:in (?:one|a|1|a single) (?:sentence|line|word)|in a nutshell|in (?:plain|simple) (?:english|terms|words)"
    r"|in (?:a )?few words|briefly|tl;?dr|eli5|like i'?m five|short version|quick question)\b[:,]?",
    re.IGNORECASE,
)
_DANGLING = re.compile(r"\s*[,;:]+\s*(?=[?!.]?$)")
_PART_BREAK = re.compile(r"\s*(?:[,;?]|\bvs\.?|\bversus\b|\bplus\b|\band\b|\bthen\b)\s+", re.IGNORECASE)


def without_style_request(question: str) -> str:
    """The question without a request about how to put the answer ("in one sentence", "in plain english")."""
    plain = " ".join(_STYLE_REQUEST.sub(" ", question).split())
    plain = _DANGLING.sub("", plain).strip(" ,;:")
    return plain if _WORD.search(plain) else question


# A remark after the question that points back at it ("...? that's what leadership wants", "...? we're kinda doing
# that"): it tells no more of what is asked, and its words would pull the search elsewhere.
_TRAILING_REMARK = re.compile(
    r"^(?P<question>.*\?)\s+(?P<remark>(?:that'?s|that)\b[^?]*|[^?]*\b(?:that|this|it)[.!]*)$",
    re.IGNORECASE | re.DOTALL,
)


def without_trailing_remark(question: str) -> str:
    """The question without a remark after it that only points back at it; a situation told after the question
    ("how do we start? we have no data") stays."""
    found = _TRAILING_REMARK.match(question.strip())
    return found.group("question") if found else question


def question_parts(question: str) -> list[str]:
    """The separate asks of a multi-part question ("X: when did they start, and who was the first client").

    A leading subject ("Harvey: ...") is carried into every part. A part that is only filler or a generic
    ask ("what should we do", "what's the difference") stays with its neighbour; a question with one ask
    gives an empty list.
    """
    subject, _, rest = question.partition(":")
    if not rest.strip() or len(_WORD.findall(subject)) > 4:
        subject, rest = "", question
    pieces = [p.strip(" ,;:?") for p in _PART_BREAK.split(rest) if p and p.strip(" ,;:?")]
    parts: list[str] = []
    for piece in pieces:
        words = {w.lower() for w in _WORD.findall(piece)}
        if parts and words <= _BACK_REFERENCES | _FILLER | _GENERIC_ASK:
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    if len(parts) < 2:
        return []
    return [f"{subject.strip()} {part}".strip() for part in parts]


# A part that tells the situation rather than asking: "we have basically zero data, where do we start".
_SITUATION = re.compile(
    r"^(we|we're|we've|our|i|i'm|i've|my|us|it|it's|they|they're|there|there's|everyone|nobody|every team)\b", re.I
)


# The words of a short ask that follows the situation it is about ("..., where do we start?", "... step one?",
# "... what's the first thing to change?"): they say which kind of answer is wanted, not what about.
_ASK_AFTER_A_SITUATION = (
    _GENERIC_ASK
    | _FILLER
    | _BACK_REFERENCES
    | {"where", "start", "begin", "first", "step", "move", "thing", "change", "look", "at", "tackle", "go", "from"}
    | {"here", "going", "on", "happening", "wrong", "with", "lol", "pls", "please", "any", "ideas", "advice"}
)
# A piece that asks rather than tells ("what is a moat, how do we get one").
_ASKING = re.compile(
    r"^\W*(?:what|what's|whats|how|why|when|where|who|which|is|are|was|were|do|does|did|can|could|should|would|will"
    r"|isn'?t|aren'?t|doesn'?t|don'?t|any|anyone|tips|explain|define|tell|describe|list|compare)\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"(?<=[.?!,;])\s+|\s+-+\s+")
_SITUATION_WORDS = 5


def situation_of(question: str) -> str:
    """A situation told before a short generic ask, without the ask ("our analysts spend the week cleaning tables"
    for "..., where do we start?"): what to search for. The question itself when it has no such shape."""
    pieces = [piece for piece in _CLAUSE_END.split(question.strip()) if piece.strip(" ,;:.?!")]
    if len(pieces) < 2:
        return question
    ask = {w.lower() for w in _WORD.findall(pieces[-1])}
    situation = " ".join(pieces[:-1]).rstrip(" ,;:-")
    if not ask <= _ASK_AFTER_A_SITUATION or _ASKING.match(situation):
        return question
    told = [w for w in _WORD.findall(situation) if w.lower() not in _ASK_AFTER_A_SITUATION]
    return situation if len(told) >= _SITUATION_WORDS else question


def asks_several_things(parts: Sequence[str]) -> bool:
    """Whether a question's parts (`question_parts`) ask for more than one thing ("what happens on Tuesday,
    Thursday and Friday"), not one thing after telling its situation ("our findings never ship, what do we do
    first")."""
    return sum(not _tells(part) for part in parts) > 1


def _tells(part: str) -> bool:
    """Whether a part of a question tells rather than asks: it opens on the team ("we ship monthly"), or it is a
    statement of some length that opens on no question word ("the pm wants the model to optimise time in app");
    a short one continues the ask before it ("what happens on Tuesday, Thursday and Friday")."""
    return bool(_SITUATION.match(part)) or (not _ASKING.match(part) and len(_WORD.findall(part)) >= _SITUATION_WORDS)


def contextual_query(
    question: str,
    history: Sequence[str] | None,
    weight: Callable[[str], float] | None = None,
    *,
    keep: int = 3,
    names_its_topic: bool = False,
) -> str:
    """The text to retrieve with: a question that leans on the thread gets the thread's key words.

    Only the `keep` rarest words of the last question (by `weight`, an idf) are added, so "and who was
    their first client?" after a question about Harvey searches for the client, at Harvey, rather than
    for the earlier question again. Without `weight` the whole earlier question is added. A question that
    `names_its_topic` (a definition) borrows nothing for being short (see `needs_context`).
    """
    earlier = [turn.strip() for turn in history or () if turn.strip()]
    if not earlier or not needs_context(question, names_its_topic=names_its_topic):
        return question
    if weight is None:
        return f"{earlier[-1]}\n{question}"
    asked = {w.lower() for w in _WORD.findall(question)}
    words = [w for w in dict.fromkeys(_WORD.findall(earlier[-1])) if w.lower() not in asked]
    scored = sorted(((weight(w), w) for w in words), key=lambda pair: pair[0], reverse=True)
    key_words = [w for score, w in scored[:keep] if score > 0]
    return f"{question} ({' '.join(key_words)})" if key_words else question
