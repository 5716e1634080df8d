"""The interview script: every question the coach can ask, as data the engine walks.

A question says what it asks, how it may be answered (kind and choices), why it is asked (with a
retrieval query so the answer can cite the material), when it is asked (a branching condition on
earlier answers) and which loop-map field its answer fills.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.stages import Stage

AnswerValue = str | list[str] | float | None
"""A stored answer: a choice value, a list of choice values, a number of days, or nothing (skipped)."""

NEVER = "never"
"""The value of a duration answer meaning "we never find out"."""


class QuestionKind(StrEnum):
    """How a question is answered."""

    SINGLE = "single"
    MULTI = "multi"
    TEXT = "text"
    NUMBER = "number"


@dataclass(frozen=True)
class Choice:
    """One answer a person can pick; `aliases` are extra words accepted when typed."""

    value: str
    label: str
    aliases: tuple[str, ...] = ()
    days: float | None = None
    """For duration presets: the number of days this choice stands for (None for `never`)."""


@dataclass(frozen=True)
class Condition:
    """Ask a question only when an earlier answer is one of `any_of` (a multi answer: contains one)."""

    question_id: str
    any_of: tuple[str, ...]

    def holds(self, answers: Mapping[str, AnswerValue]) -> bool:
        """Whether the condition is met by these answer values (an unanswered question never meets it)."""
        value = answers.get(self.question_id)
        if isinstance(value, list):
            return any(item in self.any_of for item in value)
        return isinstance(value, str) and value in self.any_of


@dataclass(frozen=True)
class Question:
    """One step of the interview."""

    id: str
    prompt: str
    kind: QuestionKind
    why: str
    why_query: str
    field: str
    """The loop-map field the answer fills; `stages.<stage>` fills a whole stage entry."""
    choices: tuple[Choice, ...] = ()
    ask_if: Condition | None = None
    note_hint: str | None = None
    """When set, a free-text note may follow the choice; the hint says what to put in it."""
    exclusive: tuple[str, ...] = ()
    """Multi-choice values that cannot be combined with others (such as "none of these")."""
    unit: str | None = None
    allow_never: bool = False
    stage: Stage | None = None

    @property
    def stage_name(self) -> str | None:
        """The display name of the stage this question is about, if any."""
        return self.stage.label if self.stage else None

    def choice(self, value: str) -> Choice | None:
        """The choice with this value, if there is one."""
        return next((choice for choice in self.choices if choice.value == value), None)

    def describe(self, value: AnswerValue) -> str:
        """A readable rendering of an answer value to this question."""
        if value is None:
            return "skipped"
        if isinstance(value, list):
            return ", ".join(self.describe(item) for item in value) or "none"
        if isinstance(value, str):
            choice = self.choice(value)
            return choice.label if choice else value
        return describe_days(float(value))


def describe_days(days: float) -> str:
    """A duration in days as a short human phrase ("15 minutes", "3 days", "9 months")."""
    minutes = days * 24 * 60
    if minutes < 90:
        return _plural(max(1, round(minutes)), "minute")
    if days < 1.5:
        return _plural(round(days * 24), "hour")
    if days < 14:
        return _plural(round(days), "day")
    if days < 60:
        return _plural(round(days / 7), "week")
    if days < 730:
        return _plural(round(days / 30.4), "month")
    return _plural(round(days / 365), "year")


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


AUTOMATION_CHOICES: tuple[Choice, ...] = (
    Choice("none", "None yet", ("nothing", "not at all", "we don't")),
    Choice("manual", "Manual and ad hoc", ("manually", "by hand", "ad hoc", "adhoc", "when needed")),
    Choice(
        "scheduled",
        "Scheduled or partly automated",
        ("schedule", "partly automated", "partially automated", "batch", "nightly", "cron"),
    ),
    Choice(
        "continuous",
        "Continuous and automatic",
        ("automatic", "automated", "fully automated", "real time", "realtime", "streaming", "always on"),
    ),
)
"""The four automation levels every stage question offers, weakest first."""

STAGE_NOTE_HINT = (
    "what you do, who owns it, how often it runs, and the signal or metric you watch, "
    "e.g. `4 - click events through our tracker, owner @dana, continuous, metric: searches per session`"
)


def _stage_question(stage: Stage, prompt: str, why: str, why_query: str) -> Question:
    return Question(
        id=stage.value,
        prompt=prompt,
        kind=QuestionKind.SINGLE,
        choices=AUTOMATION_CHOICES,
        why=why,
        why_query=why_query,
        field=f"stages.{stage.value}",
        note_hint=STAGE_NOTE_HINT,
        stage=stage,
    )


QUESTIONS: tuple[Question, ...] = (
    Question(
        id="data_status",
        prompt="Do you already have meaningful data from real use of the product?",
        kind=QuestionKind.SINGLE,
        choices=(
            Choice("yes", "Yes, real usage data arrives every day", ("yes", "y", "plenty", "lots")),
            Choice(
                "little",
                "A little: a pilot, a few customers or only internal users",
                ("some", "a little", "a bit", "pilot", "early"),
            ),
            Choice("none", "Not yet, we have no meaningful data", ("no", "n", "none", "not yet", "nothing")),
        ),
        why=(
            "Without data a model can't get good, and without a good model few people come to make data. "
            "If you are at that starting point, the advice is about how to get the loop going, "
            "not how to speed it up."
        ),
        why_query="cold start paradox quality data accurate model users",
        field="data_status",
    ),
    Question(
        id="cold_start_plan",
        prompt="How are you getting your first useful data? Pick all that apply.",
        kind=QuestionKind.MULTI,
        choices=(
            Choice(
                "experts",
                "Domain experts write down how the work is really done",
                ("expert", "experts", "expert seeding", "specialists"),
            ),
            Choice(
                "complex",
                "Starting with the hardest, most demanding customers",
                ("hard customers", "complex customers", "hardest", "demanding"),
            ),
            Choice(
                "internal",
                "Our own people use the product every day",
                ("internal", "internal users", "dogfooding", "dogfood", "our own people"),
            ),
            Choice("public", "Public or purchased datasets", ("public", "purchased", "bought", "open data")),
            Choice(
                "synthetic",
                "Data generated by an AI model",
                ("synthetic", "generated", "ai generated", "llm generated"),
            ),
            Choice("nothing", "No plan yet", ("none", "no plan", "nothing", "not yet")),
        ),
        exclusive=("nothing",),
        why=(
            "Teams that started from zero got going by seeding expert know-how, by chasing hard cases "
            "rather than volume, and by building the loop early with internal users. "
            "Knowing which you already do tells me what to suggest next."
        ),
        why_query="cold start strategies expert seeding target complexity build the loop before data",
        field="cold_start_plan",
        ask_if=Condition("data_status", ("little", "none")),
    ),
    _stage_question(
        Stage.COLLECTION,
        "*Collection*: how do you capture signals from production and from what users do?",
        "Collection is where the loop takes in reality. Without it you train on a fixed snapshot "
        "that drifts away from how people actually use the product.",
        "collection captures signals from production user interactions edge cases",
    ),
    _stage_question(
        Stage.STORAGE,
        "*Storage*: how does that data land somewhere people can find and query it?",
        "Storage decides whether the data you collect can be reached by the people who learn from it, "
        "organised well enough to fetch quickly.",
        "storage keeps data accessible across teams rapid retrieval",
    ),
    Question(
        id="storage_shared",
        prompt="Can every team that needs the data query the same copy of it?",
        kind=QuestionKind.SINGLE,
        choices=(
            Choice("shared", "Yes: one shared store, one definition per event", ("yes", "y", "shared", "one")),
            Choice(
                "snapshots",
                "Sort of: teams pull their own extracts or snapshots",
                ("sort of", "extracts", "snapshot", "snapshots", "copies", "partly"),
            ),
            Choice(
                "silos",
                "No: each team keeps its own data",
                ("no", "n", "silo", "silos", "siloed", "separate"),
            ),
            Choice("unknown", "Not sure", ("not sure", "unsure", "don't know", "dont know", "unknown")),
        ),
        why=(
            "When each team works from its own copy, models learn from different pictures of the world "
            "and drift apart. This is one of the two places loops most often break."
        ),
        why_query="siloed data teams train on different snapshots model drift break storage analysis",
        field="storage_shared",
    ),
    _stage_question(
        Stage.ANALYSIS,
        "*Analysis*: how do you turn raw data into findings (dashboards, experiments, model evaluation)?",
        "Analysis turns a pile of data into something you can act on. "
        "Without it data keeps piling up and nothing is learned.",
        "analysis transforms raw data into actionable insights experiments",
    ),
    _stage_question(
        Stage.APPLICATION,
        "*Application*: how do findings become product changes (retraining, new ranking, a UI change)?",
        "Application is where a finding changes the product. Teams that ship thousands of times a day "
        "do it with automated, guarded rollouts.",
        "application translates insights into product improvements automated canary deployments",
    ),
    Question(
        id="insight_path",
        prompt="When analysis finds something, how does it usually reach the product?",
        kind=QuestionKind.SINGLE,
        choices=(
            Choice(
                "automated",
                "Automatically: a pipeline retrains, re-ranks or rolls out",
                ("automatic", "automatically", "pipeline", "automated"),
            ),
            Choice("ticket", "As a backlog ticket someone picks up", ("ticket", "backlog", "jira", "issue")),
            Choice(
                "deck",
                "In a slide deck or a report",
                ("slides", "slide deck", "slide", "deck", "decks", "report", "presentation"),
            ),
            Choice("nothing", "It mostly doesn't", ("nothing", "it doesn't", "doesnt", "no", "never")),
        ),
        why=(
            "Findings that stop at a presentation never change what users get. "
            "This is the second common place a loop breaks."
        ),
        why_query="insights die in slide decks break between analysis and application",
        field="insight_path",
    ),
    _stage_question(
        Stage.FEEDBACK,
        "*Feedback*: after a change ships, how do you check whether it worked and feed that back "
        "into what you collect?",
        "Feedback joins the end of the loop to its start. Without it you ship improvements "
        "and never learn whether they helped.",
        "feedback connects application back to collection did it work",
    ),
    Question(
        id="loop_closes",
        prompt="When you ship a change, does its use produce new data you learn from (does the loop close)?",
        kind=QuestionKind.SINGLE,
        choices=(
            Choice(
                "auto",
                "Yes, on its own: usage of the change flows back into collection",
                ("yes", "y", "automatically", "on its own"),
            ),
            Choice(
                "manual",
                "Yes, but someone has to pull it together by hand",
                ("by hand", "manually", "manual", "sometimes"),
            ),
            Choice("no", "No, or we can't tell", ("no", "n", "can't tell", "cant tell", "not really")),
        ),
        why=(
            "A loop that needs a person to push it round every time is a feedback loop, not a flywheel. "
            "A flywheel's improvements create the data for the next one by themselves."
        ),
        why_query="feedback loop versus flywheel self-reinforcing human intervention each cycle",
        field="loop_closes",
    ),
    Question(
        id="deletion_test",
        prompt=("The deletion test: if one user's data disappeared tomorrow, would *other* users get a worse product?"),
        kind=QuestionKind.SINGLE,
        choices=(
            Choice(
                "network",
                "Yes: each user's data improves the product for everyone",
                ("yes", "y", "everyone", "network"),
            ),
            Choice(
                "individual",
                "No, only that user's own experience would get worse",
                ("no", "only them", "only that user", "individual", "personalisation", "personalization"),
            ),
            # "no" is deliberately on both: a bare "no" is ambiguous here, so the engine asks which.
            Choice("none", "Nobody would notice at all", ("nobody", "no one", "no", "none")),
        ),
        why=(
            "Learning from one user for that same user is personalisation, which everyone has. "
            "Learning from each user for all users compounds, and that is what makes a moat."
        ),
        why_query="network learning individual learning deletion test moat",
        field="learning",
    ),
    Question(
        id="complexity",
        prompt="As use grows, does your problem keep producing new, harder cases, or does it settle into routine?",
        kind=QuestionKind.SINGLE,
        choices=(
            Choice(
                "compounds",
                "New and harder cases keep coming",
                ("harder", "keeps coming", "compounds", "more complex", "new cases"),
            ),
            Choice(
                "plateaus",
                "It settles into routine after a while",
                ("routine", "plateau", "plateaus", "settles", "flat"),
            ),
            Choice("unsure", "Not sure yet", ("not sure", "unsure", "don't know", "dont know")),
        ),
        why=(
            "Some problems keep getting richer as you learn (music taste), so the advantage keeps growing; "
            "others run out of new patterns (routine support questions), so gains level off."
        ),
        why_query="compounding versus plateau Spotify Klarna complexity",
        field="complexity",
    ),
    Question(
        id="risks",
        prompt="Which of these are true for you today? Pick all that apply.",
        kind=QuestionKind.MULTI,
        choices=(
            Choice(
                "ai_output",
                "We train or tune models on AI-generated output",
                ("ai output", "synthetic", "generated", "model output", "ai-generated"),
            ),
            Choice(
                "no_curation",
                "We collect lots of data but nobody filters, labels or cleans it",
                ("no curation", "uncurated", "not curated", "noisy", "unlabelled", "unlabeled"),
            ),
            Choice(
                "wrong_metric",
                "Our main metric rewards engagement or volume more than user value",
                ("engagement", "wrong metric", "vanity metric", "volume"),
            ),
            Choice("none", "None of these", ("none", "nothing", "no", "n", "neither")),
        ),
        exclusive=("none",),
        why=(
            "Loops can also turn the wrong way: models fed their own output narrow and degrade, "
            "uncurated data adds noise instead of signal, and a metric that isn't user value "
            "buys short-term numbers with long-term churn."
        ),
        why_query="flywheels spin backward model collapse data without curation wrong incentives",
        field="risks",
    ),
    Question(
        id="idea_to_live",
        prompt="Roughly how long does it take from an idea to that change being live in production?",
        kind=QuestionKind.NUMBER,
        unit="days",
        choices=(
            Choice("15m", "Under 15 minutes", ("minutes", "instant", "immediately"), days=0.01),
            Choice("1d", "Within a day", ("same day", "a day", "hours"), days=1.0),
            Choice("1w", "Within a week", ("a week", "days"), days=7.0),
            Choice("1mo", "Within a month", ("a month", "weeks"), days=30.0),
            Choice("3mo", "Within three months", ("a quarter", "quarter", "three months"), days=90.0),
            Choice("9mo", "Around nine months or longer", ("longer", "nine months", "a year", "year"), days=270.0),
        ),
        why=(
            "Speed decides how many times a year the loop turns. The fastest teams ship in minutes, "
            "many enterprises take one to three months, and some large banks need most of a year."
        ),
        why_query="velocity gap Netflix deploys minutes enterprises 8 to 90 days banks nine months",
        field="idea_to_live_days",
    ),
    Question(
        id="live_to_learn",
        prompt="Once a change is live, how long until you know whether it worked?",
        kind=QuestionKind.NUMBER,
        unit="days",
        allow_never=True,
        choices=(
            Choice("1h", "Within an hour", ("an hour", "minutes", "instant", "immediately"), days=0.04),
            Choice("1d", "Within a day", ("same day", "a day", "next day"), days=1.0),
            Choice("1w", "Within a week", ("a week", "days"), days=7.0),
            Choice("1mo", "Within a month", ("a month", "weeks"), days=30.0),
            Choice("longer", "Longer than a month", ("longer", "months", "quarter"), days=90.0),
            Choice(NEVER, "We never really find out", ("never", "we don't", "no idea", "we dont")),
        ),
        why=(
            "Shipping fast only helps if you learn fast too. A weekly rhythm of shipping early in the week "
            "and measuring two days later keeps the loop turning."
        ),
        why_query="ship Tuesday measure Thursday iterate Friday weekly rhythm",
        field="live_to_learn_days",
    ),
)
"""The whole interview, in the order it is asked."""

MAX_QUESTIONS = 15


@dataclass(frozen=True)
class Script:
    """An ordered set of questions the engine walks (the default is `QUESTIONS`)."""

    questions: tuple[Question, ...] = QUESTIONS
    _by_id: Mapping[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id = {question.id: question for question in self.questions}
        if len(by_id) != len(self.questions):
            raise ValueError("interview script has duplicate question ids")
        object.__setattr__(self, "_by_id", by_id)

    def get(self, question_id: str) -> Question:
        """The question with this id (KeyError if the script has none)."""
        return self._by_id[question_id]

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._by_id

    def index(self, question_id: str) -> int:
        """The position of a question in the script."""
        return self.questions.index(self._by_id[question_id])

    def applicable(self, answers: Mapping[str, AnswerValue]) -> list[Question]:
        """The questions that would be asked given these answers (branching applied)."""
        return [q for q in self.questions if q.ask_if is None or q.ask_if.holds(answers)]
