"""Extractive answers: the best few sentences of the top passages, stitched in order, each cited [n]."""

import functools
import operator
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.retrieval.followup import asks_several_things, question_parts
from bot.retrieval.lexical import Analyzer
from bot.retrieval.models import Passage

_ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "etc.", "approx.", "cf.", "Dr.", "Mr.", "Ms.", "No.", "U.S.")
# After the stop and any closing quotes or brackets, which stay with their sentence.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]])|(?<=[.!?][\"')\]]{2}))\s+(?=[\"'(\[]?[A-Z0-9*_])")
_ENDS_A_SENTENCE = re.compile(r"[.!?:][\"')\]]*$")
_MARKDOWN_NOISE = re.compile(r"(\*\*|__|`)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def _plain(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    return _MARKDOWN_NOISE.sub("", text)


def split_sentences(text: str) -> list[str]:
    """Split a passage into sentences; list items and table rows count as sentences of their own."""
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)|\n(?=\s*\|)", text):
        line = re.sub(r"\s+", " ", block).strip()
        line = re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", line)
        if not line or re.fullmatch(r"[|\-: ]+", line):
            continue
        protected = line
        for abbreviation in _ABBREVIATIONS:
            protected = protected.replace(abbreviation, abbreviation.replace(".", "\x00"))
        sentences.extend(s.replace("\x00", ".").strip() for s in _SENTENCE_END.split(protected) if s.strip())
    return sentences


def sentence_texts(text: str) -> list[str]:
    """A passage's sentences as they are embedded and quoted: split, without markdown emphasis or link targets."""
    return [_plain(sentence) for sentence in split_sentences(text)]


# Text addressed to an assistant rather than to a reader: planted instructions are never quoted.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|prompts?|rules|guidelines)\b"
    r"|\byou are now\b|\b(reply|respond|answer|output) only with\b|(^|\s)(system|assistant)\s*:"
    r"|</?\s*(passage|passages|system|instructions?)\b",
    re.IGNORECASE,
)


def looks_like_instruction(sentence: str) -> bool:
    """Whether a sentence speaks to an AI assistant (a prompt injection) instead of informing a reader."""
    return bool(_INSTRUCTION.search(sentence))


# ---- what a sentence offers

# A number ("4,000", "1.4", "59") or a spelled-out duration ("nine months").
_FIGURE = re.compile(
    r"\d(?:[\d,.]*\d)?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+"
    r"(?:minutes?|hours?|days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
# What a figure counts: the words after it ("2.3 million conversations", "4,000 (4,000+) deployments a day").
_COUNT = re.compile(
    r"(\d(?:[\d,.]*\d)?)\s*(?:%|million|billion|thousand|[kmb]\b)?\+?\s*(?:\([^)]*\)\s*)?((?:[a-z][\w-]*\s+)?[a-z][\w-]*)",
    re.IGNORECASE,
)
_A_YEAR = re.compile(r"(?:19|20)\d{2}")
# Where a fact comes from, or where to read more: worth quoting only when the question asks for it.
_REFERENCE = re.compile(
    r"^\(?sources?\b|^our source material\b|^(see )?the ([\w-]+ ){1,3}file\b|^the file (on|about)\b",
    re.IGNORECASE,
)
# "Model collapse happens when...", "A data flywheel is...": the words before the verb are its subject.
_DEFINER = re.compile(r"^(.{3,60}?)\s+(is|are|was|were|means|describes|happens|refers to)\b", re.IGNORECASE)
# "Harvey, the legal AI company, started ...": a name and, between commas, the kind of organisation it is.
_APPOSITIVE = re.compile(
    r"^([A-Z][\w&.'-]*(?: [A-Z][\w&.'-]*){0,2}), (?:the|a|an) (?:[\w-]+ ){0,4}"
    r"(?:company|startup|firm|lab|platform|app|service|business|organi[sz]ation|team|group|vendor)\b[^,]{0,80},"
)
_SUBJECT_WORDS = 5


def _definition(text: str) -> re.Match[str] | None:
    """The sentence as a definition, its subject in group 1 ("Harvey, the legal AI company, ...", "X is ...")."""
    return _APPOSITIVE.match(text) or _DEFINER.match(text)


# A sentence that asks rather than tells ("Can we release ... first?").
_A_QUESTION = re.compile(
    r"^(?:can|could|is|are|was|were|do|does|did|how|what|who|which|why|when|where|will|would|should|has|have)\b"
    r"[^.!]*\?$",
    re.IGNORECASE,
)
# A sentence that leans on the one before it ("They also...", "This is why...") reads badly alone.
_DEPENDENT = re.compile(
    r"^(it|its|this|that|these|those|they|their|them|such|he|she|his|her|then|so|but|also|however"
    r"|second|third|finally|another|both)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class SentenceFeatures:
    """A quotable sentence of a passage and what the selection needs to know about it."""

    text: str
    position: int
    terms: frozenset[str]
    subject_terms: frozenset[str]
    figures: frozenset[str]
    counted: frozenset[str]
    """The words right after its numbers (not years): what it counts ("conversations", "vehicles")."""
    reference: bool
    dependent: bool
    question: bool
    """It asks rather than tells ("Can we release a change to a small slice of users first?"): it answers nothing."""
    answers: frozenset["Ask"]
    """The kinds of question it reads as an answer to (`reads_as_answer_to`), worked out once per sentence."""
    diagnosis: bool
    """It names what is wrong ("the likely cause is ...", "is a sign of ...")."""


_DIAGNOSIS = re.compile(
    r"\b(likely cause|the cause is|points to|(is|are) weak when|show the same"
    r"|(is|are) (an(other)? |a |the )?(\w+est )?signs? (of|that))\b",
    re.I,
)
"""A sentence that names what is wrong: the situation restated, not what to do about it."""


def sentence_features(text: str, analyzer: Analyzer) -> tuple[SentenceFeatures, ...]:
    """The quotable sentences of a passage with their features (planted instructions are left out)."""
    features = []
    for position, raw in enumerate(split_sentences(text)):
        plain = _plain(raw)
        if looks_like_instruction(plain):
            continue
        definer = _definition(plain)
        subject = definer.group(1) if definer else " ".join(plain.split()[:_SUBJECT_WORDS])
        asks = bool(_A_QUESTION.match(plain))
        features.append(
            SentenceFeatures(
                text=plain,
                position=position,
                terms=frozenset(analyzer.terms(plain)),
                subject_terms=frozenset(analyzer.terms(subject)),
                figures=frozenset(m.group(0).lower() for m in _FIGURE.finditer(plain)),
                counted=frozenset(
                    word
                    for m in _COUNT.finditer(plain)
                    if not _A_YEAR.fullmatch(m.group(1))
                    for word in analyzer.words(m.group(2))
                ),
                reference=bool(_REFERENCE.match(plain)),
                dependent=bool(_DEPENDENT.match(plain)),
                question=asks,
                answers=frozenset(ask for ask in _CUES if not asks and reads_as_answer_to(ask, plain)),
                diagnosis=bool(_DIAGNOSIS.search(plain)),
            )
        )
    return tuple(features)


class SentenceCache:
    """Sentence features per passage text, computed once and reused (the hot path only looks them up).

    Bounded (least recently used entries go first) so a large team corpus cannot grow it without limit.
    Safe to share between threads.
    """

    def __init__(self, analyzer: Analyzer, max_entries: int = 8192) -> None:
        self._analyzer = analyzer
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[SentenceFeatures, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def features(self, passage: Passage) -> tuple[SentenceFeatures, ...]:
        """The sentence features of a passage."""
        return self.features_of_text(passage.text)

    def features_of_text(self, text: str) -> tuple[SentenceFeatures, ...]:
        """The sentence features of a text, computed on first use."""
        with self._lock:
            cached = self._entries.get(text)
            if cached is not None:
                self._entries.move_to_end(text)
                return cached
        computed = sentence_features(text, self._analyzer)
        with self._lock:
            self._entries[text] = computed
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return computed

    def warm(self, texts: Sequence[str]) -> None:
        """Compute the features of texts ahead of the first question (when an index is loaded)."""
        for text in texts[: self._max_entries]:
            self.features_of_text(text)


# ---- what a question asks for


class Ask(StrEnum):
    """The kind of answer a question asks for; it decides which sentence may lead the answer."""

    DEFINITION = "definition"
    RISK = "risk"
    FIRST_STEP = "first_step"
    CHECK = "check"
    COMPARISON = "comparison"
    REASON = "reason"
    ORIGIN = "origin"
    OWNER = "owner"
    HOWTO = "howto"
    OTHER = "other"


# Checked in this order: "what's the risk of X" is a risk question before it is a "what is" one, and "why did they
# start X" asks for a reason, not a first step.
_ASKS: tuple[tuple[Ask, re.Pattern[str]], ...] = (
    (
        Ask.COMPARISON,
        # "is that a problem or just messy" weighs a risk, not two things.
        re.compile(
            r"\b(vs\.?|versus|difference|differ|compared? (to|with)|better than|instead of"
            r"|(?<!problem )(?<!issue )(?<!concern )(?<!deal )or just)\b",
            re.I,
        ),
    ),
    (
        Ask.RISK,
        re.compile(
            r"\b(risks?|danger|downsides?|pitfalls?|go(es)? wrong|what (happens|breaks) (if|when)|catch|harm"
            r"|(what'?s|what is) (the )?(problem|cost) (with|of)"
            r"|(is|are) (it|this|that|these|those|there) (\w+ )?(a|an|any) (real |actual |big |serious )?"
            r"(problem|issue|concern|big deal)|(does|will) (it|this|that) (\w+ )?(matter|hurt)|worry about)\b",
            re.I,
        ),
    ),
    (
        Ask.ORIGIN,
        re.compile(
            r"\bwho (came up with|invented|created|coined|devised|designed|developed|introduced|proposed|thought of)\b"
            r"|\bwho('?s| is| was| were| are) behind\b|\bwhose idea\b"
            r"|\bwhere (does|did|do) .{1,60} come from\b|\borigins? of\b",
            re.I,
        ),
    ),
    (
        Ask.OWNER,
        re.compile(
            r"\bwho (should |would |needs to |has to |will )?(actually |really |ultimately |ideally )?"
            r"(own|owns|run|runs|lead|leads|drive|drives|be (in charge"
            r"|responsible|accountable))\b|\bwho('?s| is) (in charge|responsible|accountable)\b|\bwhose (job|role)\b",
            re.I,
        ),
    ),
    (Ask.REASON, re.compile(r"\b(why|how come|what made|reasons?)\b", re.I)),
    (
        Ask.FIRST_STEP,
        re.compile(
            # Not the noun ("the cold start paradox"), an ordinal ("the first big client") or a date ("when did
            # they start").
            r"^(?!.*\b(when|(what|which) (year|month|date)) (did|does|do|was|were)\b)(?=.*("
            r"(?<!\bthe )(?<!\bits )(?<!\btheir )(?<!\bhis )(?<!\bher )(?<!'s )(?<!\bcold )(?<!\bcold-)"
            r"\b(first|start|begin)\b"
            r"|\bthe first (step|move|fix|thing|job|priority|task)\b"
            r"|\b(kick ?off|step one|prioriti[sz]e|top priority)\b))",
            re.I,
        ),
    ),
    (
        Ask.CHECK,
        re.compile(
            r"\bhow ((do|can|would|should|could) (we|i|you|a team)|to) (know|tell|check|measure|spot|see|test|verify"
            r"|find out|be sure)\b|\b(signs?|symptoms?|warning|red flags?)\b(?!-)",  # not a "sign-off"
            re.I,
        ),
    ),
    (  # after the checks: "how do we know" asks for a check, "how do we keep X from Y" for an instruction
        Ask.HOWTO,
        re.compile(
            r"\bhow (do|can|should|could|would|might|to)( (we|i|you|a team|teams|companies|one))? (?!know|tell|check)"
            r"[a-z]+|\bwhat (should|do|can|could|would) (we|i|you) do\b",
            re.I,
        ),
    ),
    (
        Ask.DEFINITION,
        re.compile(
            r"^\W*((what|who)('?s| is| are)\b(?!.*\b(we|i|our)\b)|define\b|meaning of\b|definition\b)"
            r"|\bwhat counts as\b|\bwhat('?s| is) meant by\b"
            r"|\bwhat (does|do) .{1,60} (mean|look like)\b|\bstand for\b"
            r"|\bwhat (does|do) (?!(we|i|you|our|my)\b).{1,60} do\W*$",  # "what does birdbrain do?"
            re.I,
        ),
    ),
)
# What a sentence that answers each kind of question usually contains.
_CUES: dict[Ask, re.Pattern[str]] = {
    # What a thing is, not what it is not ("a data flywheel is not a dashboard").
    Ask.DEFINITION: re.compile(r"\b(is|are|means|refers to|describes)\b(?! not\b)|" + _APPOSITIVE.pattern, re.I),
    Ask.RISK: re.compile(
        r"\b(risks?|danger\w*|fail\w*|break\w*|collapse\w*|plateau\w*|drift\w*|wrong|lose|loses|losing|worse"
        r"|backward|vicious|traps?|stall\w*|starv\w*|without|never|decline\w*|degrad\w*|waste\w*|churn\w*)\b",
        re.I,
    ),
    # "first" as an order, not as in "its first month" or "the first users".
    Ask.FIRST_STEP: re.compile(
        r"(?<!\bthe )(?<!\bits )(?<!\btheir )(?<!\ba )(?<!\bour )(?<!\byour )(?<!\bevery )"
        r"\b(first(?![\s-]+(month|weeks?|days?|years?|quarter|time|users?|customers?|signals?|four|two|three))"
        r"|(?<!\bcold )(?<!\bcold-)start (by|with)|begin (by|with)|before (anything|anyone|shipping|building)"
        r"|earliest|step (1|one))\b"
        r"|\bthe first (step|move|fix|thing|job|priority|task)\b",
        re.I,
    ),
    Ask.CHECK: re.compile(
        r"\b(check\w*|measur\w*|ask\w*|look for|signs?|tests?|compar\w*|track\w*|whether|if)\b", re.I
    ),
    Ask.REASON: re.compile(
        r"\b(because|since|so that|due to|as a result|reasons?|could not|cannot|can't|couldn't|too \w+ (to|for))\b",
        re.I,
    ),
    Ask.ORIGIN: re.compile(
        r"\b(comes? from|came from|created by|invented|coined|introduced by|originat\w*|devised|proposed by)\b", re.I
    ),
    Ask.OWNER: re.compile(r"\b(owners?|owns|(should|must|to|who|will) own|accountable|responsib\w*|in charge)\b", re.I),
    # An instruction: "To X, do Y", a sentence that opens with a verb of advice ("Keep...", "On Friday, decide...",
    # or after a label that names advice: "Practical moves inspired by Netflix: ship behind flags"), "the first move",
    # "the fix".
    Ask.HOWTO: re.compile(
        r"^(?:(?:on|in|at|for|after|before|during|when|once|against|from|by|with|if)\b[^,]{1,60},\s*"
        r"|[^:,.]{0,40}\b(?:moves?|lessons?|steps?|tips?|fix(?:es)?|advice|practices?|rules?|ways?|checks?)\b[^:,.]{0,30}:\s*)?"
        r"(?:add|agree|ask|assign|automate|avoid|bring|build|capture|check|choose|close|collect|compare|confirm"
        r"|decide|define|document|draw|find|frame|give|hire|hold|keep|label|list|log|look|make|map|mark|measure"
        r"|move|name|pair|pick|plan|put|read|record|release|remove|require|retire|review|roll|route|run|sample|set"
        r"|share|ship|show|shrink|split|start|stop|tag|test|track|treat|try|use|watch|write)\b"
        r"|^to \w+\b[^,]*,|\b(first move|the fix|is to|start (by|with)|should)\b",
        re.I,
    ),
    Ask.COMPARISON: re.compile(
        r"\b(differen\w*|differs?|whereas|while|unlike|instead of|rather than|than|versus|both|neither"
        r"|by contrast|the other)\b",
        re.I,
    ),
}
_FIGURE_QUESTION = re.compile(
    # Not "no matter how many chats it saw", which says how much was tried, not what is asked.
    r"\b((?<!no matter )how (many|much|long|fast|often|big|large|quickly)|numbers?|figures?|stats?|statistics"
    r"|metrics?|percent|percentage|share|ratio|rate|growth|grow|grew|scale|size|volume|latency|cost"
    r"|per (day|week|month|year)|a (day|year)|each (day|year)|when|what year|before and after)\b",
    re.IGNORECASE,
)
_SOURCE_QUESTION = re.compile(
    r"\b(sources?|cited?|citations?|references?|according to|reported|come from|comes from|where did)\b",
    re.IGNORECASE,
)


# Kinds of thing a figure answers: "what year", "which month", "what percentage".
MEASURES = frozenset(
    {"year", "years", "month", "months", "day", "days", "date", "time", "percentage", "percent", "share", "number"}
    | {"amount", "ratio", "rate", "figure", "count", "size", "speed"}
)
_MEASURE_ASKED = re.compile(rf"\b(?:what|which)\s+({'|'.join(sorted(MEASURES))})\b", re.IGNORECASE)

# The words that only say which kind of answer is wanted ("what's the risk", "where do we start").
_ASK_WORDS: dict[Ask, str] = {
    Ask.FIRST_STEP: "first start begin step one kick off priority prioritise prioritize fix tackle",
    Ask.RISK: "risk risks danger downside pitfall pitfalls wrong harm catch problem issue concern matter hurt worry",
    Ask.CHECK: "sign signs symptom symptoms warning",
    Ask.DEFINITION: "mean means meaning define definition stand",
    Ask.COMPARISON: "difference differ diff compare compared",
    Ask.REASON: "why reason reasons made",
    Ask.OWNER: "own owns run runs lead leads drive drives charge responsible accountable job role",
    Ask.ORIGIN: "came invented created coined devised designed developed introduced proposed thought idea origin",
}


def asks_for_a_figure(question: str) -> bool:
    """Whether a question asks for a number (how many, how long, a rate, a cost...)."""
    return bool(_FIGURE_QUESTION.search(question))


_BARE_TOPIC = re.compile(r"^\W*[\w'-]+(?:\s+[\w'-]+){0,2}\W*$")


def ask_of(question: str) -> Ask:
    """What kind of answer a question asks for (a definition, a risk, a first step, a check, a comparison, a reason).

    A bare topic ("model collapse", "canary rollouts?") asks what it is, unless it names a measure ("spotify user
    count")."""
    ask = next((ask for ask, pattern in _ASKS if pattern.search(question)), Ask.OTHER)
    bare = ask is Ask.OTHER and _BARE_TOPIC.match(question) and not asks_for_a_figure(question)
    return Ask.DEFINITION if bare and MEASURES.isdisjoint(re.findall(r"[a-z]+", question.lower())) else ask


def reads_as_answer_to(ask: Ask, text: str) -> bool:
    """Whether `text` (a sentence or a heading) reads like an answer to that kind of question ("First Moves to
    Strengthen Storage" to "what first", "Signs the Storage Stage Is Weak" to "how do we tell")."""
    cue = _CUES.get(ask)
    return bool(cue and cue.search(text))


# A word in quotes: "what does 'canary' mean".
_QUOTED = re.compile(r"(?:^|(?<=\s))['\"\u2018\u201c]([a-z][^'\"\u2019\u201d]{0,40}?)['\"\u2019\u201d](?!\w)", re.I)


def quoted_term(question: str) -> str | None:
    """The words a question puts in quotes ("what does 'canary' mean"), if any."""
    quoted = _QUOTED.findall(question)
    return " ".join(quoted) if quoted else None


def topic_terms(question: str, analyzer: Analyzer, ask: Ask) -> set[str]:
    """The question's terms about its topic: without the words that only say which kind of answer (`ask`) is
    wanted ("what first?", "what's the risk") or which figure ("what year"), which the answer's cue and its
    figures score instead (unless nothing else is left)."""
    quoted = quoted_term(question) if ask is Ask.DEFINITION else None
    if quoted:  # "they keep saying 'canary', what does that mean": the word in quotes is the one to define
        return set(analyzer.terms(quoted)) or set(analyzer.terms(question))
    terms = set(analyzer.terms(question))
    measures = {term for found in _MEASURE_ASKED.findall(question) for term in analyzer.terms(found)}
    return terms - _ask_terms(analyzer, ask) - measures or terms


@functools.cache
def _ask_terms(analyzer: Analyzer, ask: Ask) -> frozenset[str]:
    """The stems of an ask's words, worked out once per analyzer."""
    return frozenset(analyzer.terms(_ASK_WORDS.get(ask, "")))


@dataclass(frozen=True, slots=True)
class QuestionProfile:
    """A question's terms weighed by rarity, and the kind of answer it asks for."""

    weights: dict[str, float]
    ask: Ask
    wants_figure: bool
    wants_source: bool
    rarest: str | None = None
    """Its rarest topic term, whether or not the material has it: what a "what is X's Y" asks about (Y)."""


def profile_question(
    question: str,
    analyzer: Analyzer,
    idf: Callable[[str], float] | None = None,
    vocabulary: frozenset[str] | None = None,
) -> QuestionProfile:
    """Weigh a question's terms by idf (summing to 1) and note what kind of answer it asks for.

    Only terms in `vocabulary` (when given) are weighed: a word no candidate sentence has cannot be covered,
    so it must not dilute the ones that can.
    """
    ask = ask_of(question)
    every_term = topic_terms(question, analyzer, ask)
    rarity = {t: (idf(t) if idf else 1.0) for t in every_term}
    raw = {t: value for t, value in rarity.items() if vocabulary is None or t in vocabulary}
    total = sum(raw.values()) or 1.0
    return QuestionProfile(
        weights={t: value / total for t, value in raw.items()},
        ask=ask,
        wants_figure=asks_for_a_figure(question),
        wants_source=bool(_SOURCE_QUESTION.search(question)),
        rarest=max(rarity, key=lambda t: (rarity[t], t)) if rarity else None,
    )


# ---- selection


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a passage, where it sits, and how well it answers."""

    text: str
    passage_index: int
    position: int
    score: float


SIGNALS = (
    "similarity",
    "coverage",
    "subject",
    "heading",
    "cue",
    "figure",
    "passage_score",
    "rank",
    "order",
    "length",
    "dependent",
    "follows",
    "named_cue",
    "diagnosis",
)
"""What a candidate sentence is scored on, in this order (see `SelectionWeights`)."""
_NAMED_ASKS = frozenset({Ask.FIRST_STEP, Ask.ORIGIN, Ask.OWNER})
"""Kinds whose cue is the thing asked for by name ("the first move", "owns", "coined by"), so a cued sentence is
worth more than the shared `cue` weight gives (see `SelectionWeights.named_cue`)."""
_WHAT_TO_DO_ASKS = frozenset({Ask.FIRST_STEP, Ask.HOWTO})
_PLAIN_CUE_ASKS = frozenset({Ask.DEFINITION, Ask.FIRST_STEP, Ask.OWNER, Ask.ORIGIN, Ask.HOWTO})
"""Kinds whose cue says the thing asked for in so many words (see `_Selection.answers_as_asked`)."""
_NAMES_A_RISK = re.compile(r"\b(risks?|dangers?|dangerous|downsides?|pitfalls?)\b", re.I)
_THE_RISK_OF = re.compile(r"\b(risks?|dangers?|downsides?|pitfalls?)\s+(of|is|are|for|in)\b", re.I)
"""A sentence that says what a risk is ("the risk of weak Storage is ..."): for a risk question, the thing asked
for by name (see `SelectionWeights.named_cue`)."""
LEAD_SIMILARITY_SLACK = 0.05
"""How much closer in meaning to the question the best-scored pick may be than a pick from another passage that
says what was asked and so leads in its place."""
TWO_PART_ASKS = frozenset({Ask.FIRST_STEP, Ask.CHECK, Ask.RISK, Ask.COMPARISON})
"""Questions whose answer has two parts: a step and why it comes first, a check and what it shows, a risk and how it
shows, one side and the other."""


@dataclass(frozen=True, slots=True)
class SelectionWeights:
    """How sentences are scored for an extractive answer: the point first, then what supports it.

    A sentence's score is the weighted sum of its signals (`SIGNALS`):
    - similarity: its cosine to the question (sentence vectors made at index time);
    - coverage: the idf share of the question's words it has that earlier picks do not; subject: those words
      in its subject ("X is ...");
    - heading: the share of the question's words its passage's heading has (the section is about the question);
    - cue: it reads like the kind of answer asked for (`Ask`), or it names a source when one is asked for;
      figure: a new number when numbers are asked for;
    - passage_score: its passage's retrieval score as a share of the top one's; rank of its passage; order
      within the passage; length (per 200 characters);
    - dependent: it leans on a sentence not picked ("They also..."); follows: it comes right after a pick;
    - named_cue: the cue, again, when it names the thing asked ("the first move", "owns", "coined by", "the risk
      of ... is");
      diagnosis: it names the likely cause, for a question that asks what to do (a team describing its situation
      already knows the symptom; the move against it is the answer).

    The answer stops at `max_chars`, or `two_part_max_chars` for a question of several parts ("X and Y") or of
    `TWO_PART_ASKS`, whose second part rarely fits beside the first in the shorter budget.

    The weights start from a conditional logit of "this sentence holds an expected fact" over each question's
    candidates and are then refined, with the floor and the length budget, on fact hits at a median answer
    under 380 characters (`bench.fitting.fit_selection`), on both evaluation sets; a fit on each set alone is
    measured on the other. `flywheel-coach eval --fit` refits and prints these values. `named_cue` and `diagnosis`
    came later, from a conditional logit with them added (3.3 for a first step's cue, -2.9 for a diagnosis), then
    a grid of (0, 2, 3.5) and (0, -2, -4) on all three sets, the blind one included.
    """

    similarity: float = 4.872
    coverage: float = 2.975
    subject: float = 0.616
    heading: float = 1.491
    cue: float = 1.203
    figure: float = 1.438
    passage_score: float = 5.14
    rank: float = -0.319
    order: float = -0.294
    length: float = 2.179
    dependent: float = 0.0
    follows: float = 0.0
    named_cue: float = 2.0
    diagnosis: float = -2.0
    support_floor: float = -2.0
    covered_decay: float = 0.2
    max_support: int = 2
    max_chars: int = 420
    two_part_max_chars: int = 480
    duplicate_overlap: float = 0.6
    max_passages: int = 6
    strong_passages: int = 4
    strong_gap: float = 0.3

    @property
    def signal_weights(self) -> tuple[float, ...]:
        """The weights of `SIGNALS`, in order."""
        return tuple(getattr(self, name) for name in SIGNALS)


@dataclass(frozen=True, slots=True)
class _Candidate:
    passage_index: int
    order: int
    features: SentenceFeatures
    similarity: float
    cue: bool
    heading: float
    passage_score: float
    asked_terms: tuple[str, ...]
    """Its terms the question weighs, in the order of `features.terms`: coverage sums only these (the others add
    nothing), in the same order, so the sum is the same to the last bit."""
    asked_subject_terms: tuple[str, ...]
    side_similarities: tuple[float, ...] = ()
    """Its cosine to each side of a comparison ("break 1", "break 2"), when the sides were embedded."""


def _restates(longer: SentenceFeatures, shorter: SentenceFeatures) -> bool:
    """`longer` says what `shorter` says (most of its words, all of its figures), and maybe more."""
    shared = len(shorter.terms & longer.terms)
    return bool(shorter.terms) and shared >= _RESTATED_SHARE * len(shorter.terms) and shorter.figures <= longer.figures


_RESTATED_SHARE = 0.8
# How much the other side of a comparison prefers a sentence parallel to the lead (word overlap, 0..1) over the
# side's best-scored one ("Break 1 is the first break" after "Break 2 is the second", not Break 1's symptoms).
# Chosen, not fitted (comparisons are few in the eval sets): 2, 4 and 6 changed no answer on them; 8 and 12
# changed the same two, both to a hit.
PARALLEL_WEIGHT = 8.0


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _gap(top: Passage, passage: Passage) -> float:
    """How far a passage scores below the top one, as a share of the top score (any retriever's scale)."""
    return (top.score - passage.score) / top.score if top.score > 0 else 0.0


def _usable_passages(passages: Sequence[Passage], w: SelectionWeights) -> list[Passage]:
    """The first `strong_passages`, then further ones only while they score close to the top one."""
    usable = list(passages[: w.strong_passages])
    for passage in passages[w.strong_passages : w.max_passages]:
        if _gap(passages[0], passage) > w.strong_gap:
            break
        usable.append(passage)
    return usable


SimilarityOf = Callable[[Passage], "Sequence[float] | None"]
"""The cosine between the question and each sentence of a passage (by position), from index-time vectors."""


class _Selection:
    """One answer being composed: the candidates, what is picked, and the question words still uncovered."""

    def __init__(
        self,
        candidates: list[_Candidate],
        profile: QuestionProfile,
        sides: Sequence[tuple[int, dict[str, float], frozenset[str]]],
        duplicate_overlap: float,
    ) -> None:
        self.candidates = candidates
        self.duplicate_overlap = duplicate_overlap
        self.profile = profile
        self.sides = sides
        self.remaining = dict(profile.weights)
        self.by_place = {(c.passage_index, c.order): c for c in candidates}
        self.chosen: dict[tuple[int, int], tuple[_Candidate, float]] = {}
        self.figures_seen: set[str] = set()
        self._repeat_of: dict[tuple[int, int, int, int], bool] = {}

    def signals(
        self, c: _Candidate, asked: dict[str, float] | None = None, side: int | None = None
    ) -> tuple[float, ...]:
        """The candidate's `SIGNALS`; coverage counts the question's words earlier picks left uncovered (or, for
        one side of a comparison, that side's words, and similarity is to that side when it was embedded)."""
        f = c.features
        similarity = c.similarity
        if side is not None and side < len(c.side_similarities):
            similarity = c.side_similarities[side]
        remaining = self.remaining if asked is None else asked
        terms, subject_terms = (c.asked_terms, c.asked_subject_terms) if asked is None else (f.terms, f.subject_terms)
        follows = (c.passage_index, c.order - 1) in self.chosen
        return (
            similarity,
            sum(remaining.get(t, 0.0) for t in terms),
            sum(remaining.get(t, 0.0) for t in subject_terms),
            c.heading,
            float(c.cue),
            float(self.profile.wants_figure and bool(f.figures - self.figures_seen)),
            c.passage_score,
            float(c.passage_index),
            float(min(c.order, 5)),
            len(f.text) / 200,
            float(f.dependent and not follows),
            float(follows),
            float(
                (c.cue and self.profile.ask in _NAMED_ASKS)
                or (self.profile.ask is Ask.RISK and _THE_RISK_OF.search(f.text) is not None)
            ),
            float(f.diagnosis and self.profile.ask in _WHAT_TO_DO_ASKS),
        )

    def group_of(self, c: _Candidate) -> list[_Candidate]:
        before = self.by_place.get((c.passage_index, c.order - 1))
        if c.features.dependent and before is not None and (before.passage_index, before.order) not in self.chosen:
            return [before, c]
        return [c]

    def redundant(self, c: _Candidate) -> bool:
        """Whether a pick already says what `c` says (near-duplicate words, or it restates `c` whole)."""
        return any(self._repeats(c, k) for k, _ in self.chosen.values())

    def _repeats(self, c: _Candidate, k: _Candidate) -> bool:
        # Every round of support picks asks again about the same pairs: each is worked out once.
        key = (c.passage_index, c.order, k.passage_index, k.order)
        known = self._repeat_of.get(key)
        if known is None:
            a, b = c.features, k.features
            known = self._repeat_of[key] = _jaccard(a.terms, b.terms) >= self.duplicate_overlap or _restates(b, a)
        return known

    def open(self, c: _Candidate) -> bool:
        """Whether `c` may still be picked: not picked yet, and not a repeat of a pick."""
        return (c.passage_index, c.order) not in self.chosen and not self.redundant(c)

    def answers_as_asked(self, c: _Candidate, lead: _Candidate) -> bool:
        """Whether `c` may lead instead of `lead` (the best-scored pick): it says what the question's kind asks for
        in so many words, and is about the question nearly as much as `lead` is.

        That is a first step, an instruction ("to X, do Y", "keep ...") for a how-to question, an owner, an origin or
        a risk named as one ("the risk of X is"), from the lead's
        passage, or covering at least half as much of the question, or nearly as close to it in meaning; or, for a
        definition, "X is ..." with X the question's topic, no more and no less, and its rarest word. The other
        cues ("if", "without") are too common to tell.
        """
        ask = self.profile.ask
        if ask is Ask.RISK and _NAMES_A_RISK.search(c.features.text):
            return self._on_topic(c, lead)
        if not c.cue or ask not in _PLAIN_CUE_ASKS:
            return False
        if ask is Ask.DEFINITION:
            return (
                self.profile.rarest in c.features.subject_terms
                and c.features.subject_terms == self.profile.weights.keys()
                and _definition(c.features.text) is not None
            )
        return self._on_topic(c, lead)

    def _on_topic(self, c: _Candidate, lead: _Candidate) -> bool:
        return (
            c.passage_index == lead.passage_index
            or self._coverage(c) >= self._coverage(lead) / 2
            or c.similarity >= lead.similarity - LEAD_SIMILARITY_SLACK
        )

    def _coverage(self, c: _Candidate) -> float:
        return sum(self.profile.weights[t] for t in c.asked_terms)

    def relevant(self, c: _Candidate) -> bool:
        """Whether `c` can support the answer: it has a question word, or it continues a pick, or it says what to
        do in a passage already quoted ("the first move against data in silos is ..." beside the symptom a team
        described in its own words, none of which the move repeats). Behind a definition, only a sentence that
        names the thing defined (its rarest word) or continues a pick: "what is a data flywheel" is not
        supported by a sentence on personalisation that shares "data"."""
        continues = (c.passage_index, c.order - 1) in self.chosen
        rarest = self.profile.rarest
        if self.profile.ask is Ask.DEFINITION and rarest in self.profile.weights and rarest not in c.features.terms:
            return continues
        return (
            bool(c.asked_terms)
            or continues
            or (
                c.cue
                and self.profile.ask in _WHAT_TO_DO_ASKS
                and any(k.passage_index == c.passage_index for k, _ in self.chosen.values())
            )
        )

    def take(self, group: list[_Candidate], value: float, decay: float) -> None:
        """Pick `group`; earlier picks it restates and extends give way to it (unless a pick leans on them)."""
        for member in group:
            for key, (kept, _) in list(self.chosen.items()):
                leaned_on = (key[0], key[1] + 1) in self.chosen and self.chosen[(key[0], key[1] + 1)][
                    0
                ].features.dependent
                if _restates(member.features, kept.features) and not leaned_on:
                    del self.chosen[key]
        for member in group:
            self.chosen[(member.passage_index, member.order)] = (member, value)
            self.figures_seen.update(member.features.figures)
            for term in member.features.terms & self.remaining.keys():
                self.remaining[term] *= decay

    def length(self) -> int:
        return sum(len(c.features.text) + 1 for c, _ in self.chosen.values())


def _candidates(
    question: str,
    passages: Sequence[Passage],
    analyzer: Analyzer,
    idf: Callable[[str], float] | None,
    w: SelectionWeights,
    features_of: Callable[[Passage], Sequence[SentenceFeatures]] | None,
    similarity_of: SimilarityOf | None,
    side_similarity_of: Sequence[SimilarityOf] = (),
) -> _Selection:
    passages = _usable_passages(passages, w)
    features_of = features_of or (lambda passage: sentence_features(passage.text, analyzer))
    wants_source = bool(_SOURCE_QUESTION.search(question))
    quotable = [[f for f in features_of(p) if wants_source or not f.reference] for p in passages]
    vocabulary = frozenset().union(*(f.terms for fs in quotable for f in fs))
    profile = profile_question(question, analyzer, idf, vocabulary)
    sides = []
    if profile.ask is Ask.COMPARISON:
        sides = [profile_question(side, analyzer, idf, vocabulary).weights for side in question_parts(question)]
    own_terms = _own_terms(sides)
    candidates: list[_Candidate] = []
    top_score = passages[0].score
    seen: set[str] = set()  # a sentence two passages share is quoted from the better-ranked one (votes decide)
    for passage_index, (passage, features) in enumerate(zip(passages, quotable, strict=True)):
        similarities = similarity_of(passage) if similarity_of else None
        side_cosines = [of(passage) for of in side_similarity_of] if len(side_similarity_of) == len(sides) else []
        heading_terms = set(analyzer.terms(f"{passage.title} {passage.section}"))
        heading = sum(weight for term, weight in profile.weights.items() if term in heading_terms)
        passage_score = passage.score / top_score if top_score > 0 else 0.0
        for order, f in enumerate(features):
            if f.text in seen:
                continue
            seen.add(f.text)
            similarity = 0.0
            if similarities is not None and f.position < len(similarities):
                similarity = float(similarities[f.position])
            cued = profile.ask in f.answers or (wants_source and f.reference)
            if profile.ask is Ask.COMPARISON and len(sides) > 1:  # a contrast names both sides
                cued = cued and all(own & f.terms for own in own_terms if own)
            asked_terms = tuple(t for t in f.terms if t in profile.weights)
            asked_subject_terms = tuple(t for t in f.subject_terms if t in profile.weights)
            side_similarities = tuple(
                float(cosines[f.position]) if cosines is not None and f.position < len(cosines) else similarity
                for cosines in side_cosines
            )
            candidates.append(
                _Candidate(
                    passage_index,
                    order,
                    f,
                    similarity,
                    cued,
                    heading,
                    passage_score,
                    asked_terms,
                    asked_subject_terms,
                    side_similarities,
                )
            )
    sides_and_terms = [(n, side, own_terms[n]) for n, side in enumerate(sides) if side]
    return _Selection(candidates, profile, sides_and_terms, w.duplicate_overlap)


def _own_terms(sides: Sequence[dict[str, float]]) -> list[frozenset[str]]:
    """What tells each side of a comparison apart: its words the other sides lack ("1" in "break 1 vs break
    2"), or all its words when it has none of its own."""
    return [
        frozenset(side.keys() - {term for m, other in enumerate(sides) if m != n for term in other} or side.keys())
        for n, side in enumerate(sides)
    ]


def sentence_signals(
    question: str,
    passages: Sequence[Passage],
    analyzer: Analyzer,
    *,
    idf: Callable[[str], float] | None = None,
    features_of: Callable[[Passage], Sequence[SentenceFeatures]] | None = None,
    similarity_of: SimilarityOf | None = None,
) -> list[tuple[str, tuple[float, ...]]]:
    """Every candidate sentence with its signals before anything is picked (what the weights are fitted on)."""
    selection = _candidates(question, passages, analyzer, idf, SelectionWeights(), features_of, similarity_of)
    return [(c.features.text, selection.signals(c)) for c in selection.candidates]


def choose_sentences(
    question: str,
    passages: Sequence[Passage],
    analyzer: Analyzer,
    *,
    idf: Callable[[str], float] | None = None,
    weights: SelectionWeights = SelectionWeights(),  # noqa: B008 (frozen, shared safely)
    features_of: Callable[[Passage], Sequence[SentenceFeatures]] | None = None,
    similarity_of: SimilarityOf | None = None,
    side_similarity_of: Sequence[SimilarityOf] = (),
) -> list[Sentence]:
    """The sentence that answers the question as asked, then at most `max_support` that back it up, in the
    order the answer says them.

    Every sentence of the top passages is scored (`SelectionWeights`); the best of those sharing a word with the
    question leads (the best of all when none does), unless another pick says what was asked in so many words and
    the best does not (`_Selection.answers_as_asked`); and in a comparison whose lead speaks of one side only, the
    other side's best sentence follows (scored against that side, and preferring one that says of it what the lead
    says of its own). A supporting sentence must score above `support_floor` once the lead's words count as
    covered, and fit in `max_chars` (`two_part_max_chars` for a question of two parts). Near-duplicates are
    skipped; a sentence that leans on the one before it comes with it;
    source lines only when the question asks where something comes from.
    """
    if not passages:
        return []
    w = weights
    selection = _candidates(question, passages, analyzer, idf, w, features_of, similarity_of, side_similarity_of)
    if not selection.candidates:
        return []
    signal_weights = w.signal_weights

    def score(c: _Candidate, asked: dict[str, float] | None = None, side: int | None = None) -> float:
        return sum(map(operator.mul, signal_weights, selection.signals(c, asked, side)))

    # The embedding can find a sentence close that says nothing of what was asked ("no users and no data yet"
    # for "our analysts find stuff but nothing ever ships"): a lead shares a word with the question when any can.
    on_topic = [c for c in selection.candidates if c.asked_terms] or selection.candidates
    # A question the material asks ("How many approvals does a model update need?") answers nothing.
    on_topic = [c for c in on_topic if not c.features.question] or on_topic
    lead_value, lead = max(((score(c), c) for c in on_topic), key=lambda pair: pair[0])
    selection.take(selection.group_of(lead), lead_value, w.covered_decay)
    # "X vs Y": when the lead speaks of one side only, the other side gets its own sentence, preferably one that
    # says of it what the lead says of its side: their shared words beyond the sides' own (Jaccard), so "Break 1,
    # data in silos, is the first common break" answers "Break 2 … is the second".
    side_words = {term for _, side, _ in selection.sides for term in side}
    lead_terms = lead.features.terms - side_words
    for number, side, own in selection.sides:
        if any(own & c.features.terms for c, _ in selection.chosen.values()):
            continue
        on_side = [c for c in selection.candidates if selection.open(c) and own & c.features.terms]
        if on_side:
            value, best = max(
                (
                    (score(c, side, number) + PARALLEL_WEIGHT * _jaccard(c.features.terms - side_words, lead_terms), c)
                    for c in on_side
                ),
                key=lambda pair: pair[0],
            )
            selection.take(selection.group_of(best), value, w.covered_decay)
    parts = question_parts(question)
    several_parts = len(parts) > 1
    budget = w.two_part_max_chars if several_parts or selection.profile.ask in TWO_PART_ASKS else w.max_chars
    for _ in range(max(0, w.max_support + 1 - len(selection.chosen))):
        # Best first, and only as far as the first that is not a repeat of a pick (checking repeats is the costly
        # part); the sort is stable, so equal scores keep the candidates' order, as `max` would.
        unpicked = (c for c in selection.candidates if (c.passage_index, c.order) not in selection.chosen)
        ranked = sorted(((score(c), c) for c in unpicked if selection.relevant(c)), key=lambda pair: -pair[0])
        pick = next(((v, c) for v, c in ranked if not selection.redundant(c)), None)
        if pick is None:
            break
        value, best = pick
        group = selection.group_of(best)
        extra = sum(len(c.features.text) + 1 for c in group)
        if value < w.support_floor or selection.length() + extra > budget:
            break
        selection.take(group, value, w.covered_decay)
    chosen = list(selection.chosen.values())
    picked = [Sentence(c.features.text, c.passage_index, c.features.position, v) for c, v in chosen]
    # The best-scored pick leads unless it does not answer as asked and another pick does: "the first move
    # against X is ..." before the symptom that names X, "a moat is ..." before a sentence that uses the word.
    lead = chosen[0][0]
    as_asked = [selection.answers_as_asked(c, lead) for c, _ in chosen]
    point = picked[as_asked.index(True)] if True in as_asked and not as_asked[0] else picked[0]
    in_reading_order = sorted(picked, key=lambda s: (s.passage_index, s.position))
    if asks_several_things(parts):
        # A question of several parts ("what happens on Tuesday, Thursday and Friday") asks for every part alike,
        # and reading order says them best, after the point when one answers as asked.
        return in_reading_order if point is picked[0] else [point, *(s for s in in_reading_order if s is not point)]
    # After the point, the rest of what its passage says, then the other passages': one citation for each run.
    rest = sorted((s for s in in_reading_order if s is not point), key=lambda s: s.passage_index != point.passage_index)
    return [point, *rest]


def stitch(sentences: Sequence[Sentence], citation_of: dict[int, int]) -> str:
    """The sentences in the order given, each run of one passage ending with its [n]."""
    ordered = list(sentences)
    pieces: list[str] = []
    for number, sentence in enumerate(ordered):
        text = sentence.text if _ENDS_A_SENTENCE.search(sentence.text) else f"{sentence.text}."
        following = ordered[number + 1] if number + 1 < len(ordered) else None
        if following is None or following.passage_index != sentence.passage_index:
            text = f"{text} [{citation_of[sentence.passage_index]}]"
        pieces.append(text)
    return " ".join(pieces)


def extractive_answer(
    question: str,
    passages: Sequence[Passage],
    analyzer: Analyzer,
    *,
    idf: Callable[[str], float] | None = None,
    renumber: bool = True,
    features_of: Callable[[Passage], Sequence[SentenceFeatures]] | None = None,
    similarity_of: SimilarityOf | None = None,
    side_similarity_of: Sequence[SimilarityOf] = (),
    weights: SelectionWeights = SelectionWeights(),  # noqa: B008 (frozen, shared safely)
) -> tuple[str, list[Passage]]:
    """An answer built only from the passages' own sentences, and the passages it cites.

    With `renumber` the sources are only the passages quoted, numbered 1.. in the order the answer cites
    them; without it [n] keeps each passage's position in `passages` (to match a list of sources already
    shown). `features_of` looks up precomputed sentence features (a `SentenceCache`) and `similarity_of` the
    sentences' cosines to the question; without them features are computed and meaning is not scored.
    """
    sentences = choose_sentences(
        question,
        passages,
        analyzer,
        idf=idf,
        weights=weights,
        features_of=features_of,
        similarity_of=similarity_of,
        side_similarity_of=side_similarity_of,
    )
    if not sentences:
        return "", []
    if not renumber:
        used = sorted({s.passage_index for s in sentences})
        return stitch(sentences, {i: i + 1 for i in used}), list(passages)
    cited = list(dict.fromkeys(s.passage_index for s in sentences))
    citation_of = {passage_index: number for number, passage_index in enumerate(cited, start=1)}
    return stitch(sentences, citation_of), [passages[i] for i in cited]
