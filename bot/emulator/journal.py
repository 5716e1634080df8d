"""The local Slack's append-only record: every Web API call, every delivery, every problem found."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass
class ApiCall:
    """One Web API call the app made (or a response_url it answered through)."""

    seq: int
    method: str
    params: dict[str, Any]
    token: str | None
    http_method: str
    at: datetime
    status: int = 0
    response: dict[str, Any] = field(default_factory=dict)
    duration: float | None = None
    team_id: str | None = None

    @property
    def ok(self) -> bool:
        """The call succeeded (`ok: true`)."""
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        """Slack's error code when the call failed."""
        return self.response.get("error")


@dataclass
class Delivery:
    """One request the local Slack sent to the app (an event, a command or an interaction)."""

    seq: int
    transport: str
    kind: str
    label: str
    payload: dict[str, Any]
    at: datetime
    event_id: str | None = None
    envelope_id: str | None = None
    retry_num: int = 0
    retry_reason: str | None = None
    raw_body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    ack: Any = None
    latency: float | None = None
    error: str | None = None
    done: bool = False
    url: str | None = None

    @property
    def team_id(self) -> str | None:
        """The workspace the payload comes from (events, commands and interactions all name it)."""
        team = self.payload.get("team")
        return self.payload.get("team_id") or (team.get("id") if isinstance(team, dict) else None)

    @property
    def acked(self) -> bool:
        """The app answered with a 2xx (HTTP) or an ack frame (Socket Mode)."""
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Note:
    """Something that happened to the workspace, or a problem a test should fail on."""

    seq: int
    kind: str
    text: str
    at: datetime


Entry = ApiCall | Delivery | Note


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(value).decode()}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class Journal:
    """Keeps every entry in memory, optionally mirrored to a JSONL file, and wakes waiters on change."""

    def __init__(self, *, path: Path | str | None = None, on_change: Callable[[], None] | None = None) -> None:
        self.entries: list[Entry] = []
        self._path = Path(path) if path is not None else None
        self._on_change = on_change or (lambda: None)
        self._seq = 0

    def next_seq(self) -> int:
        """The next sequence number (entries are numbered in the order they started)."""
        self._seq += 1
        return self._seq

    def add(self, entry: Entry) -> Entry:
        """Append an entry (written to the file when it is finished: see `finish`)."""
        self.entries.append(entry)
        if isinstance(entry, Note):
            self._write(entry)
        self._on_change()
        return entry

    def finish(self, entry: ApiCall | Delivery) -> None:
        """An API call or delivery got its answer: record it to the file and wake waiters."""
        self._write(entry)
        self._on_change()

    def note(self, kind: str, text: str, at: datetime) -> Note:
        """Record a state change or a problem."""
        note = Note(seq=self.next_seq(), kind=kind, text=text, at=at)
        self.add(note)
        return note

    def api_calls(self, method: str | None = None, *, team_id: str | None = None) -> list[ApiCall]:
        """API calls in order, optionally only one method, or only those one workspace's token made."""
        return [
            e
            for e in self.entries
            if isinstance(e, ApiCall)
            and (method is None or e.method == method)
            and (team_id is None or e.team_id == team_id)
        ]

    def deliveries(self, kind: str | None = None, *, team_id: str | None = None) -> list[Delivery]:
        """Deliveries in order; `kind` matches the kind (event/command/interactive) or the label."""
        return [
            e
            for e in self.entries
            if isinstance(e, Delivery)
            and (kind is None or kind in (e.kind, e.label))
            and (team_id is None or e.team_id == team_id)
        ]

    def notes(self, kind: str | None = None) -> list[Note]:
        """Notes in order, optionally of one kind."""
        return [e for e in self.entries if isinstance(e, Note) and (kind is None or e.kind == kind)]

    def _write(self, entry: Entry) -> None:
        if self._path is None:
            return
        record = {"type": type(entry).__name__.lower(), **_jsonable(asdict(entry))}
        with self._path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=str) + "\n")
