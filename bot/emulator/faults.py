"""Fault injection: make the local Slack rate-limit, fail, stall, or deliver an event twice."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ApiFault:
    """A planned misbehaviour of one Web API method (`*` for every method)."""

    method: str
    kind: str
    remaining: int | None
    status: int = 200
    retry_after: int = 0
    seconds: float = 0.0

    def matches(self, method: str) -> bool:
        """Applies to `method` and has uses left."""
        return self.method in (method, "*") and (self.remaining is None or self.remaining > 0)


@dataclass
class Redelivery:
    """The next event delivery is followed by `times` retries with Slack's retry headers."""

    times: int
    reason: str


class Faults:
    """The faults a test has planned; the Web API and the delivery engine consult it."""

    def __init__(self) -> None:
        self._api: list[ApiFault] = []
        self._redeliveries: list[Redelivery] = []

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer `method` with HTTP 429, `Retry-After: retry_after` and `ratelimited`, `times` times."""
        self._api.append(ApiFault(method, "rate_limit", times, status=429, retry_after=retry_after))

    def server_error(self, method: str, times: int = 1, status: int = 500) -> None:
        """Answer `method` with an HTTP 5xx, `times` times."""
        self._api.append(ApiFault(method, "server_error", times, status=status))

    def slow(self, method: str, seconds: float, times: int | None = None) -> None:
        """Delay the answer to `method` by `seconds` (every time, or `times` times)."""
        self._api.append(ApiFault(method, "slow", times, seconds=seconds))

    def redeliver_next(self, times: int = 1, reason: str = "http_timeout") -> None:
        """Deliver the next event again `times` times, as Slack's retries (`X-Slack-Retry-Num: 1..times`)."""
        self._redeliveries.append(Redelivery(times, reason))

    def clear(self) -> None:
        """Forget every planned fault."""
        self._api.clear()
        self._redeliveries.clear()

    def take_api_fault(self, method: str, kind: str) -> ApiFault | None:
        """The next fault of `kind` planned for `method`, consuming one use."""
        for fault in self._api:
            if fault.kind == kind and fault.matches(method):
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    def take_redelivery(self) -> Redelivery | None:
        """The planned redelivery for the next event, if any."""
        return self._redeliveries.pop(0) if self._redeliveries else None
