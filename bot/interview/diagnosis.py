"""The diagnosis: pure and deterministic from a team's answers.

Each stage gets a score from 0 to 100: a weighted mean of a few factors, each between 0 and 1
(automation level plus the answers that bear on that stage; unanswered factors drop out of the mean).
The weakest stage is the drag. Breaks, moat, cold start, backward-spin risks and velocity come
straight from the answers, and the top three recommendations are ranked by a fixed priority so the
same answers always give the same advice. Citations are attached afterwards by `attach_citations`,
which is the only part that does I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

from pydantic import BaseModel, Field

from bot.interview.loop_map import LoopMap, build_loop_map
from bot.interview.script import describe_days
from bot.stages import Stage

logger = logging.getLogger(__name__)

TOP_RECOMMENDATIONS = 3
STRONG, WORKING, WEAK = 75, 50, 25
"""Score bands: at least 75 is strong, 50 working, 25 weak, below 25 broken."""

NETFLIX_DAYS = 15 / (24 * 60)
ENTERPRISE_DAYS = (8.0, 90.0)
BANK_DAYS = 270.0
MEASURE_WINDOW_DAYS = 2.0
"""Shipping on Tuesday and measuring on Thursday: two days from live to knowing."""

_AUTOMATION = MappingProxyType({"none": 0.0, "manual": 1 / 3, "scheduled": 2 / 3, "continuous": 1.0})
_DATA = MappingProxyType({"yes": 1.0, "little": 0.4, "none": 0.0})
_SHARED = MappingProxyType({"shared": 1.0, "snapshots": 0.35, "silos": 0.0, "unknown": 0.25})
_INSIGHT_PATH = MappingProxyType({"automated": 1.0, "ticket": 0.6, "deck": 0.15, "nothing": 0.0})
_LOOP_CLOSES = MappingProxyType({"auto": 1.0, "manual": 0.5, "no": 0.0})


class Factor(BaseModel):
    """One ingredient of a stage score: its weight and its value between 0 and 1 (None: unanswered)."""

    label: str
    weight: float
    value: float | None


class StageScore(BaseModel):
    """A stage's score, band and the factors behind it."""

    stage: Stage
    name: str
    score: int | None
    band: str
    automation: str | None
    owner: str | None = None
    owner_is_slack_user: bool = False
    cadence: str | None = None
    metric: str | None = None
    note: str = ""
    factors: list[Factor]


class Break(BaseModel):
    """A place where the loop doesn't carry on to the next stage."""

    kind: str
    from_stage: Stage
    to_stage: Stage
    label: str
    detail: str


class Moat(BaseModel):
    """Whether learning is individual or networked, and whether it compounds or plateaus."""

    learning: str
    trajectory: str
    strength: str
    summary: str


class Strategy(BaseModel):
    """A cold-start strategy and whether the team already uses it."""

    id: str
    title: str
    detail: str
    in_place: bool
    query: str


class Risk(BaseModel):
    """A way the loop can spin backward that applies to this team."""

    id: str
    title: str
    detail: str
    source: str
    """"declared" when the team ticked it, "inferred" when another answer implies it."""
    query: str


class Velocity(BaseModel):
    """How fast the loop turns, compared with the material's figures."""

    idea_to_live_days: float | None
    live_to_learn_days: float | None
    never_known: bool
    band: str
    summary: str
    learning_summary: str
    loop_days: float | None
    turns_per_year: float | None


class Citation(BaseModel):
    """A passage of the material (or a team's own indexed material) that a recommendation rests on."""

    title: str
    section: str
    source: str
    excerpt: str
    score: float


class Recommendation(BaseModel):
    """One thing to do next, why, and the query that finds the passage it rests on."""

    id: str
    title: str
    detail: str
    stage: Stage | None
    query: str
    priority: int
    citations: list[Citation] = Field(default_factory=list)


class Diagnosis(BaseModel):
    """Everything the coach concludes from one interview."""

    stages: list[StageScore]
    drag: Stage | None
    drag_explanation: str
    breaks: list[Break]
    moat: Moat
    cold_start: bool
    cold_start_strategies: list[Strategy]
    risks: list[Risk]
    velocity: Velocity
    recommendations: list[Recommendation]
    loop_map: LoopMap

    def stage(self, stage: str) -> StageScore:
        """The score of one stage by its id."""
        return next(item for item in self.stages if item.stage == stage)

    def headline(self) -> str:
        """One line: the drag, the breaks and the moat."""
        parts = [f"Drag: {self.drag.label} ({self.stage(self.drag).score}/100)" if self.drag else "Drag: unknown"]
        parts.append("Breaks: " + (", ".join(item.label.lower() for item in self.breaks) or "none found"))
        if self.moat.learning == "unknown":
            parts.append("Moat: unknown")
        else:
            parts.append(f"Moat: {self.moat.learning} learning ({self.moat.strength})")
        return ". ".join(parts) + "."


def diagnose(answers: Mapping[str, Any]) -> Diagnosis:
    """Score the stages, find the drag, breaks, moat, cold start, risks, velocity and top advice."""
    loop_map = build_loop_map(answers)
    stages = [_score_stage(stage, loop_map) for stage in Stage]
    drag = _drag(stages)
    breaks = _breaks(loop_map)
    moat = _moat(loop_map)
    cold_start = loop_map.data_status in ("none", "little")
    strategies = _strategies(loop_map) if cold_start else []
    risks = _risks(loop_map)
    velocity = _velocity(loop_map)
    recommendations = _recommend(loop_map, stages, drag, breaks, moat, strategies, risks, velocity)
    return Diagnosis(
        stages=stages,
        drag=drag.stage if drag else None,
        drag_explanation=_drag_explanation(drag),
        breaks=breaks,
        moat=moat,
        cold_start=cold_start,
        cold_start_strategies=strategies,
        risks=risks,
        velocity=velocity,
        recommendations=recommendations,
        loop_map=loop_map,
    )


class PassageLike(Protocol):
    """Anything with these (read-only) attributes, such as retrieval's `Passage`."""

    @property
    def title(self) -> str: ...

    @property
    def section(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def score(self) -> float: ...


SearchFn = Callable[[str], Awaitable[Sequence[PassageLike]]]


class TeamSearch(Protocol):
    """`search(query, *, team_id, k)`: a workspace's material searched, as `KnowledgeBase.search` offers it."""

    def __call__(self, query: str, *, team_id: str, k: int) -> Awaitable[Sequence[PassageLike]]: ...


async def diagnose_cited(
    answers: Mapping[str, Any], *, search: TeamSearch | None, team_id: str, per_recommendation: int = 1
) -> Diagnosis:
    """`diagnose`, with each recommendation citing the workspace's material when there is a search."""
    diagnosis = diagnose(answers)
    if search is None:
        return diagnosis
    team_wide = search

    async def team_search(query: str) -> Sequence[PassageLike]:
        return await team_wide(query, team_id=team_id, k=per_recommendation)

    return await attach_citations(diagnosis, team_search, per_recommendation=per_recommendation)


async def attach_citations(diagnosis: Diagnosis, search: SearchFn, *, per_recommendation: int = 1) -> Diagnosis:
    """A copy of the diagnosis whose recommendations cite the best passages `search` finds for them.

    A failed search leaves that recommendation uncited rather than losing the diagnosis.
    """
    cited = []
    for recommendation in diagnosis.recommendations:
        try:
            passages = list(await search(recommendation.query))[:per_recommendation]
        except Exception:
            logger.exception("citation search failed for recommendation %s", recommendation.id)
            passages = []
        citations = [citation_from_passage(passage) for passage in passages]
        cited.append(recommendation.model_copy(update={"citations": citations}))
    return diagnosis.model_copy(update={"recommendations": cited})


def citation_from_passage(passage: PassageLike, *, excerpt_chars: int = 280) -> Citation:
    """A citation from a passage-like object (attributes title, section, source, text, score)."""
    text = " ".join(str(getattr(passage, "text", "")).split())
    excerpt = text if len(text) <= excerpt_chars else text[: excerpt_chars - 1].rsplit(" ", 1)[0] + "…"
    return Citation(
        title=str(getattr(passage, "title", "")),
        section=str(getattr(passage, "section", "")),
        source=str(getattr(passage, "source", "")),
        excerpt=excerpt,
        score=float(getattr(passage, "score", 0.0)),
    )


def band(score: int | None) -> str:
    """The band a score falls in: strong, working, weak, broken, or unknown."""
    if score is None:
        return "unknown"
    if score >= STRONG:
        return "strong"
    if score >= WORKING:
        return "working"
    if score >= WEAK:
        return "weak"
    return "broken"


def release_speed(days: float | None) -> float | None:
    """How close time-to-live is to the fastest teams, from 1 (minutes) down to 0 (most of a year)."""
    if days is None:
        return None
    for limit, value in ((NETFLIX_DAYS * 1.01, 1.0), (1, 0.85), (7, 0.65), (30, 0.45), (90, 0.3), (BANK_DAYS, 0.1)):
        if days <= limit:
            return value
    return 0.0


def learning_speed(days: float | None, never_known: bool = False) -> float | None:
    """How quickly a team learns whether a change worked, from 1 (a day) down to 0 (never)."""
    if never_known:
        return 0.0
    if days is None:
        return None
    for limit, value in ((1, 1.0), (MEASURE_WINDOW_DAYS, 0.9), (7, 0.7), (30, 0.4), (90, 0.15)):
        if days <= limit:
            return value
    return 0.05


def _factors(stage: Stage, loop_map: LoopMap) -> list[Factor]:
    """The weighted factors behind one stage's score."""
    automation = _AUTOMATION.get(loop_map.stages[stage].automation or "")
    if stage is Stage.COLLECTION:
        return [
            Factor(label="Automation", weight=0.7, value=automation),
            Factor(label="Meaningful data", weight=0.3, value=_DATA.get(loop_map.data_status or "")),
        ]
    if stage is Stage.STORAGE:
        return [
            Factor(label="Automation", weight=0.5, value=automation),
            Factor(label="One shared copy", weight=0.5, value=_SHARED.get(loop_map.storage_shared or "")),
        ]
    if stage is Stage.ANALYSIS:
        curated = None if loop_map.risks is None else float("no_curation" not in loop_map.risks)
        return [
            Factor(label="Automation", weight=0.7, value=automation),
            Factor(label="Curated data", weight=0.3, value=curated),
        ]
    if stage is Stage.APPLICATION:
        return [
            Factor(label="Automation", weight=0.4, value=automation),
            Factor(
                label="Findings reach the product", weight=0.4, value=_INSIGHT_PATH.get(loop_map.insight_path or "")
            ),
            Factor(label="Time from idea to live", weight=0.2, value=release_speed(loop_map.idea_to_live_days)),
        ]
    learning = learning_speed(loop_map.live_to_learn_days, loop_map.learning_never_known)
    return [
        Factor(label="Automation", weight=0.4, value=automation),
        Factor(label="Loop closes", weight=0.4, value=_LOOP_CLOSES.get(loop_map.loop_closes or "")),
        Factor(label="Time from live to knowing", weight=0.2, value=learning),
    ]


def _score_stage(stage: Stage, loop_map: LoopMap) -> StageScore:
    entry = loop_map.stages[stage]
    factors = _factors(stage, loop_map)
    known = [(factor.weight, factor.value) for factor in factors if factor.value is not None]
    total = sum(weight for weight, _ in known)
    score = round(100 * sum(weight * value for weight, value in known) / total) if total else None
    return StageScore(
        stage=stage,
        name=stage.label,
        score=score,
        band=band(score),
        automation=entry.automation,
        owner=entry.owner,
        owner_is_slack_user=entry.owner_is_slack_user,
        cadence=entry.cadence,
        metric=entry.metric,
        note=entry.note,
        factors=factors,
    )


def _drag(stages: list[StageScore]) -> StageScore | None:
    """The lowest-scoring stage; on a tie the earlier one in the loop, since what's upstream feeds the rest."""
    scored = [(stage.score, stage) for stage in stages if stage.score is not None]
    return min(scored, key=lambda pair: pair[0])[1] if scored else None


def _drag_explanation(drag: StageScore | None) -> str:
    if drag is None:
        return "Not enough answers to tell which stage slows the loop."
    known = [(factor.value, factor) for factor in drag.factors if factor.value is not None]
    weakest = min(known, key=lambda pair: pair[0])[1]
    if drag.score is not None and drag.score >= STRONG:
        return (
            f"{drag.name} is the weakest stage at {drag.score}/100, but every stage is strong: "
            "keep the loop turning and fast."
        )
    return (
        f"{drag.name} scores lowest ({drag.score}/100) and slows the whole loop; "
        f"its weakest factor is {weakest.label.lower()}."
    )


def _breaks(loop_map: LoopMap) -> list[Break]:
    breaks = []
    if loop_map.storage_shared in ("silos", "snapshots"):
        label = "Data in silos" if loop_map.storage_shared == "silos" else "Separate snapshots"
        breaks.append(
            Break(
                kind="silo",
                from_stage=Stage.STORAGE,
                to_stage=Stage.ANALYSIS,
                label=label,
                detail=(
                    "Teams work from their own copies of the data, so analysis and models see "
                    "different versions of reality and drift apart."
                ),
            )
        )
    if loop_map.insight_path in ("deck", "nothing"):
        label = "Insights die in slide decks" if loop_map.insight_path == "deck" else "Insights never ship"
        breaks.append(
            Break(
                kind="slide_deck",
                from_stage=Stage.ANALYSIS,
                to_stage=Stage.APPLICATION,
                label=label,
                detail="Findings stop at a presentation or go nowhere, so the product doesn't change.",
            )
        )
    if loop_map.loop_closes == "no" or loop_map.learning_never_known:
        breaks.append(
            Break(
                kind="open_loop",
                from_stage=Stage.FEEDBACK,
                to_stage=Stage.COLLECTION,
                label="Loop stays open",
                detail=(
                    "Shipped changes don't produce data you learn from, so you can't tell "
                    "whether they worked and the next turn doesn't start by itself."
                ),
            )
        )
    return breaks


_MOAT_SUMMARIES = MappingProxyType(
    {
        ("network", "compounds"): (
            "high",
            "Each user's data improves the product for everyone, and harder cases keep coming: "
            "this advantage compounds.",
        ),
        ("network", "plateaus"): (
            "medium",
            "Users' data helps each other, but the problem settles into routine, so the gains will level off.",
        ),
        ("network", "unknown"): (
            "medium",
            "Users' data helps each other; whether the gains keep compounding depends on harder cases arriving.",
        ),
        ("individual", None): (
            "low",
            "Each user's data only improves their own experience: personalisation, which every competitor has.",
        ),
        ("none", None): ("none", "Nobody's experience depends on the data yet: a product, not a flywheel."),
        ("unknown", None): ("unknown", "The deletion test wasn't answered, so the moat is unknown."),
    }
)


def _moat(loop_map: LoopMap) -> Moat:
    learning = loop_map.learning if loop_map.learning in ("network", "individual", "none") else "unknown"
    trajectory = loop_map.complexity if loop_map.complexity in ("compounds", "plateaus") else "unknown"
    key = (learning, trajectory) if learning == "network" else (learning, None)
    strength, summary = _MOAT_SUMMARIES[key]
    return Moat(learning=learning, trajectory=trajectory, strength=strength, summary=summary)


@dataclass(frozen=True)
class Advice:
    """What one recommendation says, and the query that finds the passage of the material it rests on."""

    title: str
    detail: str
    query: str


ADVICE: Mapping[str, Advice] = MappingProxyType(
    {
        "cold_start_expert_seeding": Advice(
            "Seed the process with expert know-how",
            "Have domain experts write down how the work is really done, step by step: "
            "that process knowledge rarely exists in public data.",
            "expert seeding Harvey lawyers define workflows process data not online",
        ),
        "cold_start_target_complexity": Advice(
            "Start with the hardest customers, not the most",
            "Complex work surfaces edge cases that simple use never does, so a few demanding customers "
            "teach the model more than many easy ones.",
            "target complexity not volume elite law firms edge cases",
        ),
        "cold_start_loop_first": Advice(
            "Build the loop before the data arrives",
            "Wire up all five stages now and run them with internal users on a weekly rhythm: "
            "ship early in the week, measure two days later, adjust on Friday.",
            "build the loop before you have data internal users ship Tuesday measure Thursday",
        ),
        "stage_collection": Advice(
            "Capture usage signals automatically",
            "Instrument the product so interactions and edge cases are logged without anyone asking, "
            "starting with the few events the loop needs.",
            "collection captures signals from production systems user interactions edge cases",
        ),
        "stage_storage": Advice(
            "Give the loop's data one shared, queryable home",
            "Keep the events the loop depends on in one store with agreed definitions, "
            "organised so any team can fetch them quickly.",
            "storage keeps data accessible across teams organization for rapid retrieval",
        ),
        "stage_analysis": Advice(
            "Make analysis a routine, not a project",
            "Run experiments or evaluations on a standing cadence so each batch of data gets looked at; "
            "the leaders run hundreds of experiments a year on a single surface.",
            "analysis transforms raw data into actionable insights Spotify experiments per year",
        ),
        "stage_application": Advice(
            "Automate the path from finding to release",
            "Give every finding an owner and a ship, test or drop decision, and make releases cheap and "
            "safe with feature flags and canary rollouts.",
            "application translates insights into product improvements automated canary rollouts",
        ),
        "stage_feedback": Advice(
            "Close the loop on every change",
            "Decide before shipping which signal will show whether a change helped, and route that "
            "signal back into collection automatically.",
            "feedback connects application back to collection know whether improvements worked",
        ),
        "break_silo": Advice(
            "Break the silo between storage and analysis",
            "Pick the handful of events the loop depends on, give each one definition, and keep them in "
            "one store every team queries directly instead of private extracts.",
            "data in silos break between storage and analysis different snapshots model drift",
        ),
        "break_slide_deck": Advice(
            "Turn findings into releases, not slides",
            "End every analysis with a decision (ship, test or drop), an owner and a date, "
            "and track it like any other piece of work.",
            "insights die in slide decks break between analysis and application",
        ),
        "break_open_loop": Advice(
            "Make every shipped change produce data",
            "Before a change goes out, name the signal that will show whether it helped and capture it "
            "from the change's own use, so the next turn starts by itself.",
            "flywheel self-reinforcing each improvement creates conditions for the next feedback loop",
        ),
        "risk_ai_output": Advice(
            "Keep model output out of your training data",
            "Filter AI-generated content out of training sets, label any synthetic data you keep, "
            "and make sure fresh human data keeps flowing in.",
            "model collapse synthetic AI-generated training data copy of a copy",
        ),
        "risk_no_curation": Advice(
            "Curate before you collect more",
            "Add filtering, labelling and de-duplication before adding volume: more uncurated data is more noise.",
            "data collection without curation creates noise not signal",
        ),
        "risk_wrong_metric": Advice(
            "Measure user value, not just engagement",
            "Choose a north-star metric that tracks the value users get, and keep engagement as a guardrail "
            "rather than the goal.",
            "wrong incentives optimize wrong metric engagement cost of user value churn",
        ),
        "moat_individual": Advice(
            "Find where one user's data can help everyone",
            "Today's learning is per-user personalisation. Look for signals that generalise across users "
            "(difficulty, quality, ranking) so every user's data makes the product better for everyone.",
            "network learning deletion test other users notice moat",
        ),
        "moat_none": Advice(
            "Decide what the product should learn from use",
            "Usage doesn't teach the product anything yet. Pick one decision the product makes that "
            "everyone's data could improve, and build the loop around it.",
            "network learning effect individual learning moat strength",
        ),
        "moat_plateaus": Advice(
            "Aim the loop at harder cases",
            "Your problem settles into routine, so gains will level off. Look for adjacent, harder cases "
            "where more data keeps paying off.",
            "compounding versus plateau Klarna routine queries complex scenarios",
        ),
        "velocity_release": Advice(
            "Shrink the time from idea to live",
            "Automate deployment with canary releases and automatic rollback so a change can go live "
            "in hours rather than weeks.",
            "velocity gap Netflix deploys under 15 minutes enterprises 8 to 90 days",
        ),
        "velocity_learning": Advice(
            "Learn within days of shipping",
            "Agree a weekly rhythm: ship early in the week, read the signal two days later, "
            "and decide what to change on Friday.",
            "ship Tuesday measure Thursday iterate Friday",
        ),
        "map_the_loop": Advice(
            "Finish mapping the loop",
            "Some stages are still blank. Fill them in with the people who own each one: "
            "a loop you can't draw on paper won't run in production.",
            "map the loop on paper before writing code complete it in production",
        ),
        "keep_turning": Advice(
            "Keep the loop fast as it grows",
            "Keep release and measurement automated, watch for curation and metric drift, "
            "and re-run this interview each quarter to catch new drag early.",
            "high-velocity flywheel five stages drag weakness",
        ),
        "guard_backward": Advice(
            "Guard against the loop turning backward",
            "Check where training data comes from, keep curating what you collect, "
            "and test that your main metric still tracks what users value.",
            "when flywheels spin backward model collapse curation wrong incentives",
        ),
    }
)
"""Every recommendation the diagnosis can make, by its id."""


class Finding(StrEnum):
    """What the rules in `_recommend` can find in a loop map; `RANKING` says how urgent each one is."""

    MOST_STAGES_BLANK = "most_stages_blank"
    NO_LOOP_WITHOUT_DATA = "no_loop_without_data"
    DRAG_WEAK = "drag_weak"
    AI_OUTPUT = "ai_output"
    NO_EXPERTS_WITHOUT_DATA = "no_experts_without_data"
    NO_HARD_CASES_WITHOUT_DATA = "no_hard_cases_without_data"
    OPEN_LOOP = "open_loop"
    SILO = "silo"
    WRONG_METRIC = "wrong_metric"
    SLIDE_DECK = "slide_deck"
    NO_CURATION = "no_curation"
    DRAG_WORKING = "drag_working"
    NOTHING_LEARNED = "nothing_learned"
    INDIVIDUAL_LEARNING = "individual_learning"
    NO_LOOP_LITTLE_DATA = "no_loop_little_data"
    RELEASE_VERY_SLOW = "release_very_slow"
    LEARNING_VERY_SLOW = "learning_very_slow"
    GAINS_PLATEAU = "gains_plateau"
    STAGE_WEAK = "stage_weak"
    NO_EXPERTS_LITTLE_DATA = "no_experts_little_data"
    STAGE_WORKING = "stage_working"
    NO_HARD_CASES_LITTLE_DATA = "no_hard_cases_little_data"
    RELEASE_SLOW = "release_slow"
    LEARNING_SLOW = "learning_slow"
    DRAG_WITHOUT_DATA = "drag_without_data"
    SOME_STAGES_BLANK = "some_stages_blank"
    DRAG_STRONG = "drag_strong"
    STAGE_STRONG = "stage_strong"
    ALWAYS = "always"
    NO_RISK_NAMED = "no_risk_named"


@dataclass(frozen=True)
class Rank:
    """How urgent the advice answering a finding is: the higher the priority, the sooner it is shown."""

    finding: Finding
    when: str
    priority: int


RANKING: tuple[Rank, ...] = (
    Rank(Finding.MOST_STAGES_BLANK, "three or more stages are unanswered", 120),
    Rank(Finding.NO_LOOP_WITHOUT_DATA, "no data yet, and no loop run with internal users", 110),
    Rank(Finding.DRAG_WEAK, "the drag (weakest stage) scores below 50", 100),
    Rank(Finding.AI_OUTPUT, "models learn from AI-generated output (ticked, or implied by synthetic seed data)", 97),
    Rank(Finding.NO_EXPERTS_WITHOUT_DATA, "no data yet, and no expert know-how seeded", 96),
    Rank(Finding.NO_HARD_CASES_WITHOUT_DATA, "no data yet, and not starting with the hardest customers", 94),
    Rank(Finding.OPEN_LOOP, "shipped changes produce no data to learn from (away from the drag)", 93),
    Rank(Finding.SILO, "teams work from separate copies of the data (away from the drag)", 92),
    Rank(Finding.WRONG_METRIC, "the main metric rewards engagement or volume over user value", 91),
    Rank(Finding.SLIDE_DECK, "findings stop at a slide deck or go nowhere (away from the drag)", 90),
    Rank(Finding.NO_CURATION, "data is collected without curation", 89),
    Rank(Finding.DRAG_WORKING, "the drag scores 50 to 74", 86),
    Rank(Finding.NOTHING_LEARNED, "nobody's experience depends on the data", 80),
    Rank(Finding.INDIVIDUAL_LEARNING, "each user's data improves only that user's experience", 78),
    Rank(Finding.NO_LOOP_LITTLE_DATA, "a little data, and no loop run with internal users", 75),
    Rank(Finding.RELEASE_VERY_SLOW, "more than 90 days from idea to live", 75),
    Rank(Finding.LEARNING_VERY_SLOW, "more than 30 days from live to knowing", 72),
    Rank(Finding.GAINS_PLATEAU, "the problem settles into routine", 70),
    Rank(Finding.STAGE_WEAK, "another stage scores below 50", 66),
    Rank(Finding.NO_EXPERTS_LITTLE_DATA, "a little data, and no expert know-how seeded", 61),
    Rank(Finding.STAGE_WORKING, "another stage scores 50 to 74", 60),
    Rank(Finding.NO_HARD_CASES_LITTLE_DATA, "a little data, and not starting with the hardest customers", 59),
    Rank(Finding.RELEASE_SLOW, "8 to 90 days from idea to live", 55),
    Rank(Finding.LEARNING_SLOW, "8 to 30 days from live to knowing", 52),
    Rank(Finding.DRAG_WITHOUT_DATA, "the drag, when there is no data yet (cold start comes first)", 50),
    Rank(Finding.SOME_STAGES_BLANK, "one or two stages are unanswered", 40),
    Rank(Finding.DRAG_STRONG, "the drag, when every stage scores 75 or more", 30),
    Rank(Finding.STAGE_STRONG, "another stage scores 75 to 99", 20),
    Rank(Finding.ALWAYS, "every loop: keep it turning", 10),
    Rank(Finding.NO_RISK_NAMED, "no way of spinning backward was named", 9),
)
"""The ranking of findings, most urgent first; of two recommendations with one priority, the one found first wins."""

_PRIORITY: Mapping[Finding, int] = MappingProxyType({rank.finding: rank.priority for rank in RANKING})

MOST_STAGES = 3
"""Unanswered stages from which finishing the map comes before anything else."""
LEARNING_SLOW_DAYS, LEARNING_VERY_SLOW_DAYS = 7.0, 30.0


@dataclass(frozen=True)
class _ColdStart:
    """A cold-start strategy: the plan choice that shows it is in place, and the finding when it isn't."""

    marker: str
    without_data: Finding
    with_little_data: Finding


_COLD_START = MappingProxyType(
    {
        "expert_seeding": _ColdStart("experts", Finding.NO_EXPERTS_WITHOUT_DATA, Finding.NO_EXPERTS_LITTLE_DATA),
        "target_complexity": _ColdStart(
            "complex", Finding.NO_HARD_CASES_WITHOUT_DATA, Finding.NO_HARD_CASES_LITTLE_DATA
        ),
        "loop_first": _ColdStart("internal", Finding.NO_LOOP_WITHOUT_DATA, Finding.NO_LOOP_LITTLE_DATA),
    }
)
_RISK_FINDINGS = MappingProxyType(
    {"ai_output": Finding.AI_OUTPUT, "no_curation": Finding.NO_CURATION, "wrong_metric": Finding.WRONG_METRIC}
)
_BREAK_FINDINGS = MappingProxyType(
    {"silo": Finding.SILO, "slide_deck": Finding.SLIDE_DECK, "open_loop": Finding.OPEN_LOOP}
)
_BREAK_STAGES: Mapping[str, tuple[Stage, ...]] = MappingProxyType(
    {
        "silo": (Stage.STORAGE, Stage.ANALYSIS),
        "slide_deck": (Stage.ANALYSIS, Stage.APPLICATION),
        "open_loop": (Stage.FEEDBACK,),
    }
)
_MOAT_FINDINGS = MappingProxyType({"individual": Finding.INDIVIDUAL_LEARNING, "none": Finding.NOTHING_LEARNED})


def _strategies(loop_map: LoopMap) -> list[Strategy]:
    plan = set(loop_map.cold_start_plan)
    strategies = []
    for key, strategy in _COLD_START.items():
        advice = ADVICE[f"cold_start_{key}"]
        strategies.append(
            Strategy(
                id=key, title=advice.title, detail=advice.detail, in_place=strategy.marker in plan, query=advice.query
            )
        )
    return strategies


_RISKS = MappingProxyType(
    {
        "ai_output": Advice(
            "Training on AI-generated output",
            "Models fed their own (or another model's) output lose range with every generation, like a copy of a copy.",
            "model collapse recursive training on AI-generated content narrower output",
        ),
        "no_curation": Advice(
            "Collecting without curation",
            "Volume without filtering and labelling adds noise rather than signal; a big fleet of data "
            "can still stop improving.",
            "data without curation noise not signal Tesla FSD fleet",
        ),
        "wrong_metric": Advice(
            "Optimising a metric that isn't user value",
            "Pushing engagement at the expense of value wins in the short term and loses users later.",
            "wrong incentives optimize wrong metric engagement user value churn",
        ),
    }
)
"""The ways a loop spins backward, as the diagnosis names them (what to do about each is in `ADVICE`)."""


def _risks(loop_map: LoopMap) -> list[Risk]:
    declared = set(loop_map.risks or [])
    risks = []
    for key, text in _RISKS.items():
        if key in declared:
            source = "declared"
        elif key == "ai_output" and "synthetic" in loop_map.cold_start_plan:
            source = "inferred"
        else:
            continue
        risks.append(Risk(id=key, title=text.title, detail=text.detail, source=source, query=text.query))
    return risks


def _velocity(loop_map: LoopMap) -> Velocity:
    live = loop_map.idea_to_live_days
    learn = None if loop_map.learning_never_known else loop_map.live_to_learn_days
    if live is None:
        velocity_band, summary = "unknown", "Time from idea to live wasn't answered."
    elif live <= NETFLIX_DAYS * 1.01:
        velocity_band = "elite"
        summary = "On a par with the fastest teams in the material, which ship in under 15 minutes."
    elif live < ENTERPRISE_DAYS[0]:
        velocity_band = "fast"
        summary = (
            f"{describe_days(live)} from idea to live: quicker than the 8 to 90 days typical of enterprises, "
            "though still far from deploys in minutes."
        )
    elif live <= ENTERPRISE_DAYS[1]:
        velocity_band = "typical"
        summary = (
            f"{describe_days(live)} from idea to live: inside the typical enterprise range of 8 to 90 days, "
            "while the fastest teams ship in under 15 minutes."
        )
    elif live <= BANK_DAYS:
        velocity_band = "slow"
        summary = (
            f"{describe_days(live)} from idea to live: slower than a typical enterprise and heading towards "
            "the roughly nine months some large banks take."
        )
    else:
        velocity_band = "very_slow"
        summary = (
            f"{describe_days(live)} from idea to live: as slow as the slowest banks in the material, "
            "at about nine months from proof of concept to production."
        )
    if loop_map.learning_never_known:
        learning_summary = "You never find out whether a change worked, so the loop can't learn."
    elif learn is None:
        learning_summary = "Time from live to knowing wasn't answered."
    elif learn <= MEASURE_WINDOW_DAYS:
        learning_summary = f"You know within {describe_days(learn)}: inside a ship-Tuesday, measure-Thursday rhythm."
    else:
        learning_summary = (
            f"You know after {describe_days(learn)}: slower than a weekly rhythm that measures two days after shipping."
        )
    loop_days = live + learn if live is not None and learn is not None else None
    return Velocity(
        idea_to_live_days=live,
        live_to_learn_days=learn,
        never_known=loop_map.learning_never_known,
        band=velocity_band,
        summary=summary,
        learning_summary=learning_summary,
        loop_days=round(loop_days, 4) if loop_days is not None else None,
        turns_per_year=round(365 / loop_days, 1) if loop_days else None,
    )


def _stage_finding(score: int, *, drag: bool) -> Finding:
    """How urgent fixing a stage is: weak and broken stages come before working and strong ones."""
    if score < WORKING:
        return Finding.DRAG_WEAK if drag else Finding.STAGE_WEAK
    if score < STRONG:
        return Finding.DRAG_WORKING if drag else Finding.STAGE_WORKING
    return Finding.DRAG_STRONG if drag else Finding.STAGE_STRONG


def _recommend(
    loop_map: LoopMap,
    stages: list[StageScore],
    drag: StageScore | None,
    breaks: list[Break],
    moat: Moat,
    strategies: list[Strategy],
    risks: list[Risk],
    velocity: Velocity,
) -> list[Recommendation]:
    """Every recommendation that applies, ranked by `RANKING`; the top three, the first found first on a tie."""
    candidates: list[Recommendation] = []

    def add(advice_id: str, finding: Finding, stage: Stage | None = None) -> None:
        advice = ADVICE[advice_id]
        candidates.append(
            Recommendation(
                id=advice_id,
                title=advice.title,
                detail=advice.detail,
                stage=stage,
                query=advice.query,
                priority=_PRIORITY[finding],
            )
        )

    no_data = loop_map.data_status == "none"
    drag_break = None
    if drag is not None and drag.score is not None:
        drag_break = next((item for item in breaks if drag.stage in _BREAK_STAGES[item.kind]), None)
        finding = Finding.DRAG_WITHOUT_DATA if no_data else _stage_finding(drag.score, drag=True)
        advice_id = f"break_{drag_break.kind}" if drag_break is not None else f"stage_{drag.stage}"
        add(advice_id, finding, drag.stage)
    for strategy in strategies:
        if not strategy.in_place:
            cold_start = _COLD_START[strategy.id]
            add(f"cold_start_{strategy.id}", cold_start.without_data if no_data else cold_start.with_little_data)
    for risk in risks:
        add(f"risk_{risk.id}", _RISK_FINDINGS[risk.id])
    for item in breaks:
        if item is not drag_break:
            add(f"break_{item.kind}", _BREAK_FINDINGS[item.kind], item.from_stage)
    covered = {stage for item in breaks for stage in _BREAK_STAGES[item.kind]}
    if drag is not None:
        covered.add(drag.stage)
    for stage in stages:
        if stage.stage not in covered and stage.score is not None and stage.score < 100:
            add(f"stage_{stage.stage}", _stage_finding(stage.score, drag=False), stage.stage)
    if moat.learning in _MOAT_FINDINGS:
        add(f"moat_{moat.learning}", _MOAT_FINDINGS[moat.learning])
    if moat.trajectory == "plateaus":
        add("moat_plateaus", Finding.GAINS_PLATEAU)
    live = velocity.idea_to_live_days
    if live is not None and live >= ENTERPRISE_DAYS[0]:
        release = Finding.RELEASE_VERY_SLOW if live > ENTERPRISE_DAYS[1] else Finding.RELEASE_SLOW
        add("velocity_release", release, Stage.APPLICATION)
    learn = velocity.live_to_learn_days
    if learn is not None and learn > LEARNING_SLOW_DAYS:
        learning = Finding.LEARNING_VERY_SLOW if learn > LEARNING_VERY_SLOW_DAYS else Finding.LEARNING_SLOW
        add("velocity_learning", learning, Stage.FEEDBACK)
    unknown_stages = sum(stage.score is None for stage in stages)
    if unknown_stages:
        add("map_the_loop", Finding.MOST_STAGES_BLANK if unknown_stages >= MOST_STAGES else Finding.SOME_STAGES_BLANK)
    add("keep_turning", Finding.ALWAYS)
    if not risks:
        add("guard_backward", Finding.NO_RISK_NAMED)
    ranked = sorted(enumerate(candidates), key=lambda pair: (-pair[1].priority, pair[0]))
    return [recommendation for _, recommendation in ranked][:TOP_RECOMMENDATIONS]
