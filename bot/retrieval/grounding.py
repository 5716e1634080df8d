"""Whether the material can answer a question, and the honest refusal when it cannot."""

import math
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.retrieval.extractive import MEASURES, SentenceFeatures, ask_of, asks_for_a_figure, topic_terms
from bot.retrieval.followup import question_parts
from bot.retrieval.lexical import Analyzer
from bot.retrieval.models import Passage
from bot.retrieval.ranking import Ranking, Retriever

REFUSAL = "I can't find that in the material."
# Snowball keeps derived forms apart ("resolve" and "resolution", "analyst" and "analysis"); a longer term
# counts as covered when a passage word starts with the same first letters.
ROOT_CHARS = 5
IdfOf = Callable[[str], float]
FeaturesOf = Callable[[Passage], Sequence[SentenceFeatures]]
# A company's headcount ("how many lawyers does Harvey employ", "how many engineers work at Netflix"): a count of
# its people, which only a sentence counting staff gives, not one counting its users or its clients' people.
_HEADCOUNT_ASK = re.compile(
    r"\bhow (?:many|big)\b.*\b(?:employ\w*|headcount|staff\w*|payroll|workforce|work(?:s|ing)? (?:at|for))\b"
)
_HEADCOUNT = re.compile(r"\b(?:employ\w*|headcount|staff\w*|payroll|workforce|hired)\b", re.IGNORECASE)
WordLikeness = Callable[[Collection[str], Collection[str]], float]
"""The highest cosine between a word of one set and a word of the other (`WordVectors.likeness`)."""
# Words at least this alike name the same thing: "chats" and "conversations" (0.66), "cars" and "vehicles" (0.88),
# "searches" and "queries" (0.56); not "employees" and "agents" (0.42) or "GPUs" and "queries" (0.18).
SAME_THING = 0.5
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
# What a count is of comes between "how many" and the verb: "how many GPUs did..." ("how much faster" compares
# rather than counts, and "how much money" asks for a sum, which the money check sees to).
_COUNTED = re.compile(
    r"\b(?<!no matter )how (?:many|much)\s+(?!more\b|less\b|money\b|cash\b|\w+er\b)((?:[\w/'-]+\s+){1,3}?)"
    r"(?:do|does|did|is|are|was|were|has|have|had|can|could|will|would|in|at|per)\b",
    re.IGNORECASE,
)
# "how much did they spend", not "how much time did they save": the amount is of money when nothing else is named.
# "what Spotify spends a year on its cloud", "what did Klarna pay OpenAI": a sum paid out, asked without "how much".
_MONEY_ASK = re.compile(
    r"\bhow much\s+(?:money\s+|cash\s+)?(?:do|does|did|is|are|was|were|has|have|had|will|would|can|could)\b.*"
    r"\b(cost|costs|spend|spent|pay|paid|charge|charges|earn|earned|make|made|save|saved|lose|lost|raise|raised|"
    r"invest|invested|worth|price|priced|fund|funded)\b"
    r"|\bwhat\s+(?:(?:do|does|did)\s+)?(?:the\s+)?(?!we\b|i\b|you\b|they\b|it\b)[a-z][\w.-]*\s+(spend|spent|pay|paid)s?\b"
)
# Money paid out or raised is a different sum from money made or saved: "how much did Klarna pay OpenAI" is not
# answered by "$40 million in profit improvement". Such a sum counts only where a sentence names it as paid.
_PAID_OUT = {
    **dict.fromkeys(("cost", "costs"), r"\bcost"),
    **dict.fromkeys(("spend", "spent"), r"\bspen[dt]"),
    **dict.fromkeys(("pay", "paid"), r"\b(?:pay|paid)"),
    **dict.fromkeys(("charge", "charges"), r"\bcharg"),
    **dict.fromkeys(("invest", "invested"), r"\binvest"),
    **dict.fromkeys(("raise", "raised", "fund", "funded"), r"\b(?:rais|fund)"),
    **dict.fromkeys(("price", "priced"), r"\bpric"),
}
# A company's standing in the market, asked of it by name ("what's Spotify's share price", "the valuation of
# Klarna"): answered only where a passage speaks of it ("the revenue impact of a change" is another question).
_MARKET = r"(share price|stock price|stock ticker|stock symbol|ticker|market cap\w*|valuation|ipo|revenue|annual sales)"
_MARKET_ASK = re.compile(
    rf"\b(?!(?:what|that|it|there|here|who|where|how|let)'s)[a-z][\w.]*'s\s+(?:[a-z-]+\s+){{0,2}}?{_MARKET}\b"
    rf"|\bthe\s+{_MARKET}\s+(?:of|for)\b"
)
# What a product costs its buyers ("what does Duolingo charge for its family plan", "the price of Perplexity Pro"):
# answered only where a passage names a sum ("who is in charge of the loop" asks for a person).
_PRICE_ASK = re.compile(r"\b(?:prices?|pricing|priced|fees?|per seat|subscription)\b|(?<!\bin )\bcharge[sd]?\b")
_MONEY = re.compile(r"[$€£¥]\s?\d|\b\d[\d.,]*\s*(?:dollars|euros|pounds)\b", re.IGNORECASE)
_ASKING_VERB = r"(?:do|does|did|is|are|was|were|has|have|had|should|would|could|can|will)"
_NOT_A_KIND = rf"(?:{_ASKING_VERB}|if|about|we|you|they|i|it|one|ones|to|the|a|an)"
# "which cloud provider does…", "what kind of data did…": a few words between the question word and its verb.
_WHICH_KIND = re.compile(
    rf"\b(?:which|what)\s+(?:(?:kind|sort|type)s?\s+of\s+)?(?!{_NOT_A_KIND}\b(?![/-]))((?:[a-z/-]+\s+){{1,3}}?)"
    rf"{_ASKING_VERB}\b"
)
# "who is the CEO of…", "who was Yirifi's first hire": the role, without the owner.
_WHO_IS_THE = re.compile(
    r"\bwho\s+(?:is|was|are|were)\s+(?:the\s+|[\w-]+'s\s+)?([a-z -]+?)(?=\s+(?:of|at|in|for|behind|on)\b|\s*[?.!,]|$)"
)
# "who founded Perplexity": a founder, whom only a passage naming founders can answer.
_WHO_FOUNDED = re.compile(r"\bwho\s+(?:co-?)?found(?:ed|s)\b")
# The team's own figures ("what is our churn rate this quarter", "how many users do we have"): no material holds
# them, however well it covers churn or users.
_OWN_FIGURE = re.compile(
    r"\bwhat(?:'s|s|\s+(?:is|are|was|were))\s+(?:our|my)\s+(?:[\w/-]+\s+){0,2}?"
    r"(?:rate|number|numbers|count|figure|figures|percentage|revenue|churn|retention|dau/mau|ratio|score|nps|conversion)"
    r"(?=\s+(?:this|last|right|now|today|currently|so far|at the moment)\b|\s*[?.!,]|$)"
    r"|\bhow (?:many|much)\b[^?]*?\b(?:do|did|does)\s+(?:we|i)\s+"
    r"(?:have|had|get|got|close|closed|lose|lost|make|made)\b"
)
# "what's the best vector DB for…": the kind of thing recommended, by its head noun.
_BEST_KIND = re.compile(
    r"\b(?:what|which)(?:'s|s|\s+(?:is|are))\s+the\s+(?:best|top|leading|most popular|recommended)\s+"
    r"((?:[a-z/-]+\s+){0,2}?[a-z/-]+)(?=\s+(?:to|for|of|in|on|that|we|i|you|at|with)\b|\s*[?.!,]|$)"
)
# "recommend a good book on…", "draft a job ad for…", "how do I set up Kafka for…", "book a meeting room",
# "schedule a retro": what the coach is asked to produce, recommend, set up or get, by its head noun (an article
# first, except for what is set up).
_MADE_KIND = re.compile(
    r"\b(?:(?P<verb>recommend|suggest|draft|write|compose|generate|create|design|book|reserve|schedule|arrange|order"
    r"|buy)"
    r"\s+(?:me\s+|us\s+)?(?:a|an|some|one)"
    r"|(?:set\s*up|install|configure)(?:\s+(?:a|an|some|the))?)\s+(?:(?:good|great|decent|nice|new)\s+)?"
    r"(?P<kind>(?:[a-z/-]+\s+){0,2}?[a-z/-]+)"
    r"(?=\s+(?:to|for|of|in|on|that|we|i|you|at|with|about|as|from|using)\b|\s*[?.!,(]|$)"
)
# What no material can do for anyone, whatever the thread before it was about.
_ERRANDS = frozenset({"book", "reserve", "schedule", "arrange", "order", "buy"})
# "translate 'data flywheel' into German": the language asked for, which the material would have to use.
_TRANSLATED_INTO = re.compile(r"\btranslat\w*\b.*?\b(?:into|to|in)\s+(?!plain\b|simple\b|everyday\b)([a-z]+)")
# Shapes of an answer, not kinds of thing: the material's content fills them ("a checklist for measure Thursday").
_FORMS = frozenset(
    {"list", "checklist", "summary", "overview", "outline", "template", "agenda", "draft", "sentence", "recap"}
    | {"breakdown", "table", "guide", "rundown", "version", "paragraph", "explanation", "description", "memo"}
    | {"email", "message", "pitch", "proposal", "doc", "document", "roadmap", "slide", "slides", "deck", "post"}
    | {"note", "notes", "update", "announcement", "brief", "one-pager", "report", "faq"}
)
# Kinds of point rather than of thing: the material makes them in its own words.
_POINTS = frozenset(
    {"approach", "strategy", "strategies", "secret", "mistake", "mistakes", "lesson", "lessons", "trick", "edge"}
    | {"advantage", "win", "problem", "problems", "issue", "issues", "idea", "point", "takeaway", "insight", "move"}
    | {"moves", "step", "steps", "thing", "things", "way", "ways", "reason", "reasons", "difference", "risk", "risks"}
    | {"benefit", "benefits", "role", "goal", "plan", "method", "story", "key", "part", "change", "changes", "lever"}
    | {"example", "examples", "tactic", "tactics", "tip", "tips", "playbook", "framework", "ritual", "goals"}
    | {"principle", "principles"}
)
# A name, as far as lowercase text shows one: an owner ("Airbnb's flywheel"), or the subject of a "does/did" inside a
# question ("how many deploys does Amazon do", not "does telemetry count as collection?", nor the object of a "does"
# that is a clause's own verb: "an agent that only does password resets"); a word in a compound ("chatgpt-style")
# is a modifier, not a subject.
_OWNER = re.compile(r"(?<![-\w])([a-z][\w.]*)'s\b")
_DETERMINERS = frozenset({"a", "an", "the", "our", "your", "my", "their", "its", "his", "her", "this", "that"})
_MODIFIERS_BEFORE_A_NOUN = 3
# Stopwords that modify a noun rather than end its phrase ("our own chatbot's").
_STOPWORD_MODIFIERS = frozenset({"own", "other", "same", "very", "only", "main"})
_DOES_SUBJECT = re.compile(
    r"(?<=\w )(?<!\bthat )(?<!\bwhich )(?<!\bwho )(?<!\bit )(?<!\bonly )(?<!\balso )(?<!\bjust )"
    r"(?:does|did)\s+([a-z][\w.]*)(?=\s)"
)
_EITHER = re.compile(r"\b([a-z][\w.-]*)\s+(?:or|vs\.?|versus)\s+([a-z][\w.-]*)\b")
_NOT_A_NAME = frozenset(
    {"a", "an", "the", "this", "that", "these", "those", "it", "its", "he", "she", "we", "i", "you", "they", "our"}
    | {"my", "your", "their", "his", "her", "one", "each", "every", "any", "some", "all", "there", "here", "let"}
    | {"what", "who", "which", "where", "when", "why", "how"}
)
_NO_TERM = ""


def _words_of(passages: Sequence[Passage], analyzer: Analyzer) -> set[str]:
    """Every term of the passages, headings included."""
    present: set[str] = set()
    for passage in passages:
        present.update(analyzer.terms(f"{passage.title} {passage.section} {passage.text}"))
    return present


def _shares_root(term: str, present: set[str]) -> bool:
    """Whether a word of the passages shares the term's first letters ("resolv" and "resolut")."""
    root = term[:ROOT_CHARS]
    return len(term) > ROOT_CHARS and any(word.startswith(root) for word in present)


def _shares(question_terms: Collection[str], passages: Sequence[Passage], analyzer: Analyzer, idf: IdfOf) -> dict:
    """Each question term's share of the question's idf weight, and whether the passages have it."""
    wanted = set(question_terms)
    total = sum(idf(t) for t in wanted)
    present = _words_of(passages, analyzer) if total else set()
    return {t: (idf(t) / total, t in present or _shares_root(t, present)) for t in wanted} if total else {}


def most_missing(
    question_terms: Collection[str], passages: Sequence[Passage], analyzer: Analyzer, idf: IdfOf
) -> tuple[str | None, float]:
    """The question term with the largest share of its idf weight that the passages lack, and that share."""
    shares = _shares(question_terms, passages, analyzer, idf)
    lacking = [(share, term) for term, (share, found) in shares.items() if not found]
    if not lacking:
        return None, 0.0
    share, term = max(lacking)
    return term, share


def term_coverage(
    question_terms: Collection[str], passages: Sequence[Passage], analyzer: Analyzer, idf: IdfOf
) -> float:
    """The share of the question's term weight (idf) that the passages' words (headings included) cover."""
    return sum(share for share, found in _shares(question_terms, passages, analyzer, idf).values() if found)


def _figure_absent(
    question: str,
    passages: Sequence[Passage],
    analyzer: Analyzer,
    features_of: FeaturesOf,
    likeness: WordLikeness | None,
) -> bool:
    """A year none of the passages names ("revenue in 2023"), a count of something no sentence puts a number to
    ("how many GPUs"; a year beside it is not a count), or a headcount no sentence gives. What a sentence counts
    may be named in other words ("how many chats" of "2.3 million conversations") when `likeness` can tell."""
    if any(all(year not in f"{p.section} {p.text}" for p in passages) for year in _YEAR.findall(question)):
        return True
    counted = _COUNTED.search(question)
    things = set(analyzer.terms(counted.group(1))) if counted else set()
    if not counted or not things:
        return False
    counting = [
        f
        for passage in passages
        for f in features_of(passage)
        if any(not _YEAR.fullmatch(figure) for figure in f.figures)
    ]
    if _HEADCOUNT_ASK.search(question.lower()) and not any(_HEADCOUNT.search(f.text) for f in counting):
        return True
    if any(things & f.terms for f in counting):
        return False
    named = set(analyzer.words(counted.group(1)))
    return likeness is None or likeness(named, set().union(*(f.counted for f in counting))) < SAME_THING


def _asked_kind(lowered: str) -> str | None:
    """The kind of thing a one-ask question wants named, by its head noun: "language" in "what programming
    language did they use", "ceo" in "who is the CEO of Klarna", "db" in "what's the best vector DB for it",
    "founder" in "who founded Perplexity".
    None for other questions, for kinds a figure answers ("which year": the figure checks see to those), for the
    kinds of point the material makes in its own words ("what approach did they take", "the best example") and
    for a multi-part question, where one part's kind is not the whole question's."""
    if question_parts(lowered):
        return None
    if _WHO_FOUNDED.search(lowered):
        return "founder"
    found = _WHICH_KIND.search(lowered) or _WHO_IS_THE.search(lowered) or _BEST_KIND.search(lowered)
    words = found.group(1).split() if found else []
    return words[-1] if words and words[-1] not in MEASURES | _POINTS else None


def _unused(word: str, analyzer: Analyzer, idf: IdfOf) -> bool:
    """Whether no indexed document has the word: its idf is that of a term nobody wrote."""
    terms = analyzer.terms(word)
    return bool(terms) and all(idf(term) >= idf(_NO_TERM) for term in terms)


def asks_an_errand(question: str, analyzer: Analyzer, idf: IdfOf) -> bool:
    """Whether the question asks the coach to book, order or schedule something the material never names ("book a
    meeting room for Friday"), or to translate into a language it never uses: declined even in a thread, where the
    words of the questions before would otherwise make it look like a follow-up."""
    lowered = question.lower()
    wanted = [m.group("kind").split()[-1] for m in _MADE_KIND.finditer(lowered) if m.group("verb") in _ERRANDS]
    wanted += [m.group(1) for m in _TRANSLATED_INTO.finditer(lowered)]
    return any(_unused(word, analyzer, idf) for word in wanted)


def _after_a_determiner(before: str, analyzer: Analyzer) -> bool:
    """Whether the owner that follows `before` is a common noun: a determiner opens its noun phrase, maybe across
    modifiers ("a chatbot's", "our own chatbot's", "the new support bot's"; not "Spotify and Airbnb's")."""
    for word in reversed(before.split()[-_MODIFIERS_BEFORE_A_NOUN:]):
        if word in _DETERMINERS:
            return True
        if not word.isalpha() or not (analyzer.words(word) or word in _STOPWORD_MODIFIERS):
            return False  # punctuation or a function word ends the phrase
    return False


def _about_the_unknown(lowered: str, analyzer: Analyzer, idf: IdfOf) -> bool:
    """Whether the question is about something the material never names: an owner ("Airbnb's flywheel"), the
    subject of a "does/did" ("how many experiments does Uber run"), what it asks to be made, recommended, set
    up, booked or bought ("a good book on…", "Kafka for event collection", "a meeting room"), the language it
    asks to have something translated into, or both sides of a choice ("LaunchDarkly or
    Unleash", "Snowflake vs Databricks")."""
    subjects = [m.group(1) for m in _OWNER.finditer(lowered) if not _after_a_determiner(lowered[: m.start()], analyzer)]
    subjects += [m.group(1) for m in _DOES_SUBJECT.finditer(lowered)]
    if any(word not in _NOT_A_NAME and _unused(word, analyzer, idf) for word in subjects):
        return True
    if asks_an_errand(lowered, analyzer, idf):
        return True
    # What is set up is named by all its words ("an incremental dbt model" is a dbt model, not any model); what is
    # written or recommended, by its head noun ("a polite note" is a note).
    made = [
        word
        for m in _MADE_KIND.finditer(lowered)
        if m.group("verb") not in _ERRANDS
        for word in (m.group("kind").split() if m.group("verb") is None else m.group("kind").split()[-1:])
    ]
    if any(word not in _FORMS | _POINTS and _unused(word, analyzer, idf) for word in made):
        return True
    return any(all(_unused(side, analyzer, idf) for side in choice.groups()) for choice in _EITHER.finditer(lowered))


def answer_absent(
    question: str,
    passages: Sequence[Passage],
    analyzer: Analyzer,
    idf: IdfOf,
    features_of: FeaturesOf,
    likeness: WordLikeness | None = None,
) -> bool:
    """Whether the passages plainly lack the answer: the question asks for the team's own figure ("what is our
    churn rate"), is about something the material never names, or what it asks for is missing from them: a year
    none of them names, a count no sentence gives, a sum of money or a price where none is named ("how much does
    it cost", "what does X charge"), a company's share price, valuation or revenue where no passage speaks of it,
    or the kind of thing it wants named when no passage has a word for it ("which cloud provider", "who is the
    CEO", "the best vector DB")."""
    lowered = question.lower().replace("\u2019", "'")  # one apostrophe, whatever the keyboard typed
    if _OWN_FIGURE.search(lowered):
        return True
    if _about_the_unknown(lowered, analyzer, idf):
        return True
    if _figure_absent(question, passages, analyzer, features_of, likeness):
        return True
    price_asked = bool(_PRICE_ASK.search(lowered))
    money_asked = _MONEY_ASK.search(lowered)
    if price_asked or money_asked:
        if not any(_MONEY.search(passage.text) for passage in passages):
            return True
        paid = _PAID_OUT.get(money_asked.group(1) or money_asked.group(2)) if money_asked else None
        if paid and not any(
            _MONEY.search(f.text) and re.search(paid, f.text, re.IGNORECASE)
            for passage in passages
            for f in features_of(passage)
        ):
            return True
        if not price_asked:
            return False  # a sum asked for and named; a price goes on to whether what is priced is named
    market = _MARKET_ASK.search(lowered)
    if market:
        asked = market.group(1) or market.group(2)
        return not set(analyzer.terms(asked)) <= _words_of(passages, analyzer)
    kind = _asked_kind(lowered)
    wanted = set(analyzer.terms(kind)) if kind else set()
    present = _words_of(passages, analyzer) if wanted else set()
    return bool(wanted) and not any(term in present or _shares_root(term, present) for term in wanted)


SIGNALS = (
    "similarity",
    "sentence_similarity",
    "coverage_top1",
    "coverage_top3",
    "missing",
    "missing_figure",
    "answer_absent",
    "off_topic",
)
"""What the refusal decision weighs, in this order (see `GroundingPolicy`)."""


def grounding_signals(
    question: str,
    ranking: Ranking,
    analyzer: Analyzer,
    idf: IdfOf,
    sentence_similarity: float,
    features_of: FeaturesOf,
    likeness: WordLikeness | None = None,
    *,
    off_topic: float,
) -> tuple[float, ...]:
    """The signals of `SIGNALS` for a question and what it retrieved (`off_topic`: its likeness to the examples of
    questions the coach is not for, `OffTopic.likeness`)."""
    terms = topic_terms(question, analyzer, ask_of(question))
    passages = ranking.passages
    top3 = _shares(terms, passages[:3], analyzer, idf).values()  # read once: coverage and the missing detail
    missing = max((share for share, found in top3 if not found), default=0.0)
    return (
        ranking.confidence,
        sentence_similarity,
        term_coverage(terms, passages[:1], analyzer, idf),
        sum(share for share, found in top3 if found),
        missing,
        missing if asks_for_a_figure(question) else 0.0,
        float(answer_absent(question, passages[:3], analyzer, idf, features_of, likeness)),
        off_topic,
    )


class Grounding(StrEnum):
    """What the refusal policy makes of a question and what it retrieved."""

    ANSWERS = "answers"
    """The material answers it."""
    CLOSEST = "closest"
    """Answered with the closest the material comes, said to be so: it may not cover exactly what was asked."""
    DECLINED = "declined"
    """Declined, with the nearest topics."""


@dataclass(frozen=True, slots=True)
class GroundingPolicy:
    """When the retrieved material can answer a question: a logistic model of "the material answers this".

    Signals (`SIGNALS`): the best passage's cosine to the question; the best sentence's cosine in the top
    passages (meaning phrased in other words); the idf share of the question's words the top passage and the
    top three cover; and the largest share of one word none of them has (a known subject, an unknown detail:
    "how many employees does Duolingo have?"), again when the question asks for a number (a figure the
    material does not give is the commonest near miss); and whether what it asks for, a year, a count, a sum
    of money or a named kind of thing, is plainly missing from the top passages (`answer_absent`); and how much
    the question reads like the examples of questions the coach is not for (`off_topic`: "what learning rate
    should we fine-tune with" matches the material's learning loops in words and partly in meaning). The
    coefficients and the threshold are fitted by `flywheel-coach eval --fit` on both evaluation sets
    (`bench.fitting.fit_grounding`), each checked by a fit on the other alone. With word-only (BM25) retrieval
    there are no cosines, and the best BM25 score decides.

    An answer whose probability is under `closest_below` says it is the closest the material comes. That is a
    setting, chosen on the three evaluation sets and two probes of out-of-scope questions close to the material:
    under 0.6 fall 6% of the answerable questions, whose answers hold their facts 0.64 of the time (0.87 for the
    rest), and half of the out-of-scope questions the threshold lets through (0.4: 1% and a fifth; 0.7: 10% and
    two thirds).
    """

    intercept: float = -1.555
    similarity: float = 8.16
    sentence_similarity: float = 4.106
    coverage_top1: float = 0.832
    coverage_top3: float = 2.44
    missing: float = -2.073
    missing_figure: float = -3.864
    answer_absent: float = -4.668
    off_topic: float = -9.945
    threshold: float = 0.262
    closest_below: float = 0.6
    min_bm25: float = 2.5

    def to_json(self) -> dict[str, float]:
        """The policy's numbers, as `eval` reports them."""
        return {name: getattr(self, name) for name in ("intercept", *SIGNALS, "threshold", "closest_below", "min_bm25")}

    def probability(self, signals: Sequence[float]) -> float:
        """How likely the material answers the question, from its signals."""
        weights = tuple(getattr(self, name) for name in SIGNALS)
        z = self.intercept + sum(w * x for w, x in zip(weights, signals, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def judge(
        self,
        question: str,
        ranking: Ranking,
        retriever: Retriever,
        analyzer: Analyzer,
        idf: IdfOf,
        sentence_similarity: float,
        features_of: FeaturesOf,
        likeness: WordLikeness | None = None,
        *,
        off_topic: float,
    ) -> Grounding:
        """Whether to answer from `ranking`, answer with the closest it has, or decline."""
        if not ranking.passages or asks_an_errand(question, analyzer, idf):
            return Grounding.DECLINED
        if retriever is Retriever.BM25:
            return Grounding.ANSWERS if ranking.best_lexical >= self.min_bm25 else Grounding.DECLINED
        signals = grounding_signals(
            question, ranking, analyzer, idf, sentence_similarity, features_of, likeness, off_topic=off_topic
        )
        probability = self.probability(signals)
        if probability < self.threshold:
            return Grounding.DECLINED
        return Grounding.CLOSEST if probability < self.closest_below else Grounding.ANSWERS


def nearest_topics(passages: Sequence[Passage], limit: int = 3) -> list[str]:
    """The distinct `title > section` labels of the closest passages, best first."""
    topics: list[str] = []
    for passage in passages:
        if passage.label not in topics:
            topics.append(passage.label)
        if len(topics) == limit:
            break
    return topics


def refusal_text(passages: Sequence[Passage]) -> str:
    """The honest answer when the material has none, naming the nearest topics it does cover."""
    topics = nearest_topics(passages)
    if not topics:
        return f"{REFUSAL} Nothing has been indexed yet."
    return f"{REFUSAL} The nearest topics it covers: " + "; ".join(topics) + "."
