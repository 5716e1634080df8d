"""Plain data the retrieval core takes and gives: passages, answers, chunks and index reports."""

from dataclasses import dataclass, field, replace
from enum import StrEnum

GLOBAL_SCOPE = "global"
TEAM_PREFIX = "team:"


def scope_for(team_id: str | None) -> str:
    """The index scope of a team's own material; the bundled knowledge (team_id None) is global."""
    return GLOBAL_SCOPE if team_id is None else f"{TEAM_PREFIX}{team_id}"


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk of material with where it came from and how well it matched."""

    id: str
    text: str
    title: str
    section: str
    source: str
    score: float

    @property
    def label(self) -> str:
        """How a source is named to people: `title > section` (or the title alone)."""
        return f"{self.title} > {self.section}" if self.section else self.title

    def rescored(self, score: float) -> "Passage":
        """The same passage with another score."""
        return replace(self, score=score)


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer to a question: the text, whether the material supports it, and the numbered sources."""

    text: str
    grounded: bool
    sources: list[Passage]
    closest: bool = False
    """Grounded, but only the closest the material comes: it may not cover exactly what was asked."""
    nearest_topics: list[str] = field(default_factory=list)
    confidence: float = 0.0
    generated: bool = False
    passages: list[Passage] = field(default_factory=list)

    def to_json(self) -> dict:
        """The stable `ask --json` schema of DESIGN.md."""
        return {
            "answer": self.text,
            "grounded": self.grounded,
            "sources": [
                {"title": p.title, "section": p.section, "source": p.source, "score": round(p.score, 4)}
                for p in self.sources
            ],
        }


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a document ready to embed, with the metadata stored alongside its vector."""

    id: str
    text: str
    title: str
    section: str
    source: str
    file_hash: str
    position: int

    @property
    def heading(self) -> str:
        """Where the chunk sits: `title > section` (or the title alone)."""
        return f"{self.title} > {self.section}" if self.section else self.title

    @property
    def embedding_text(self) -> str:
        """What gets embedded and indexed for words: the headings give a chunk its context."""
        return f"{self.heading}\n{self.text}"


class Outcome(StrEnum):
    """What indexing did with one file."""

    INDEXED = "indexed"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class FileResult:
    """One file's outcome in an indexing run, with the reason when it was skipped or removed."""

    source: str
    outcome: Outcome
    chunks: int = 0
    reason: str = ""


@dataclass(slots=True)
class IndexReport:
    """What an indexing run did, file by file."""

    files: list[FileResult] = field(default_factory=list)
    embedded_chunks: int = 0
    reused_chunks: int = 0
    seconds: float = 0.0
    changed: bool = False

    def _with(self, outcome: Outcome) -> list[FileResult]:
        return [f for f in self.files if f.outcome is outcome]

    @property
    def indexed(self) -> list[FileResult]:
        """Files that were new or changed and are now in the index."""
        return self._with(Outcome.INDEXED)

    @property
    def unchanged(self) -> list[FileResult]:
        """Files whose content hash matched the index: nothing was done."""
        return self._with(Outcome.UNCHANGED)

    @property
    def skipped(self) -> list[FileResult]:
        """Files that could not be indexed, each with its reason."""
        return self._with(Outcome.SKIPPED)

    @property
    def removed(self) -> list[FileResult]:
        """Files that left the index because they are gone."""
        return self._with(Outcome.REMOVED)

    def to_json(self) -> dict:
        """A plain summary for `index --json` and logs."""
        return {
            outcome.value: [
                {"source": f.source, "chunks": f.chunks, **({"reason": f.reason} if f.reason else {})}
                for f in self._with(outcome)
            ]
            for outcome in Outcome
        } | {"embedded_chunks": self.embedded_chunks, "seconds": round(self.seconds, 3)}
