"""How the local Slack reaches the app: signed HTTP requests or Socket Mode envelopes, acks timed.

HTTP bodies are exactly what Slack sends (JSON events, form-encoded commands, `payload=` interactions),
signed with `v0` HMAC-SHA256 over `v0:<timestamp>:<body>`. The timestamp is real wall time: Bolt compares
it with its own clock, which a test's ManualClock does not move.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.clock import Clock
from bot.emulator.faults import Faults
from bot.emulator.journal import Delivery, Journal
from bot.emulator.socket_hub import SocketHub

# Slack waits this long for an ack before it gives up (and shows the person an error).
ACK_DEADLINE_SECONDS = 3.0
# How much longer than the deadline the local Slack keeps listening, so a late ack is measured, not lost.
ACK_GRACE_SECONDS = 1.0
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
ENVELOPE_TYPES = {"event": "events_api", "command": "slash_commands", "interactive": "interactive"}


def sign(body: bytes, *, secret: str, timestamp: int | str | None = None) -> dict[str, str]:
    """Slack's signature headers for `body` (timestamp defaults to now, in real Unix seconds)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def encode_body(kind: str, payload: dict[str, Any]) -> tuple[bytes, str]:
    """The HTTP body and content type Slack uses for each kind of delivery."""
    if kind == "event":
        return json.dumps(payload).encode(), "application/json"
    if kind == "command":
        return urlencode(payload).encode(), "application/x-www-form-urlencoded"
    return urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"


def parse_ack(content_type: str, body: bytes) -> Any:
    """An HTTP answer's body as Slack reads it: JSON as a dict, other text as a string, empty as None."""
    if not body.strip():
        return None
    text = body.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        with contextlib.suppress(ValueError):
            return json.loads(text)
    return text


class DeliveryEngine:
    """Delivers payloads over HTTP (when a request URL is set) or Socket Mode, and judges the acks."""

    def __init__(
        self,
        *,
        signing_secret: str,
        journal: Journal,
        hub: SocketHub,
        faults: Faults,
        clock: Clock,
        report: Callable[[str], None],
        ack_deadline: float = ACK_DEADLINE_SECONDS,
        event_retries: int = 0,
    ) -> None:
        self.signing_secret = signing_secret
        self.request_urls: list[str] = []
        self._turns: dict[str, int] = {}
        self.ack_deadline = ack_deadline
        self.event_retries = event_retries
        self._journal = journal
        self._hub = hub
        self._faults = faults
        self._clock = clock
        self._report = report
        self._session: aiohttp.ClientSession | None = None
        self.in_flight = 0

    async def start(self) -> None:
        """Open the HTTP client (one connection per request, like Slack; proxies never apply)."""
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True), trust_env=False)

    async def close(self) -> None:
        """Close the HTTP client."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def listen_seconds(self) -> float:
        """How long to wait for an ack before calling it missing."""
        return self.ack_deadline + ACK_GRACE_SECONDS

    @property
    def request_url(self) -> str | None:
        """The (first) request URL, None when delivering over Socket Mode."""
        return self.request_urls[0] if self.request_urls else None

    def next_url(self, label: str, after: str | None = None) -> str:
        """Where the next request goes: the URL after `after` (a retry lands on another replica), else round-robin.

        Each label takes its own turns, so mentions alternate between replicas however many echoes of the app's
        own posts arrive in between.
        """
        urls = self.request_urls
        if after in urls:
            return urls[(urls.index(after) + 1) % len(urls)]
        turn = self._turns.get(label, 0)
        self._turns[label] = turn + 1
        return urls[turn % len(urls)]

    def transport(self) -> str | None:
        """`http` when a request URL is set, else `socket` when a client is connected, else None."""
        if self.request_urls:
            return "http"
        if self._hub.active() is not None:
            return "socket"
        return None

    async def deliver(
        self,
        kind: str,
        label: str,
        payload: dict[str, Any],
        *,
        retry_num: int = 0,
        retry_reason: str | None = None,
        after_url: str | None = None,
    ) -> Delivery:
        """Deliver one payload (and the retries a fault or a failure calls for); returns the first attempt.

        Over HTTP with several request URLs, each retry goes to the URL after the previous attempt's.
        """
        first = await self._attempt(
            kind, label, payload, retry_num=retry_num, retry_reason=retry_reason, after_url=after_url
        )
        if kind != "event" or retry_num:
            return first
        last = first
        planned = self._faults.take_redelivery()
        if planned is not None:
            for number in range(1, planned.times + 1):
                last = await self._attempt(
                    kind, label, payload, retry_num=number, retry_reason=planned.reason, after_url=last.url
                )
        elif not first.acked and first.error != "no_transport":
            reason = "http_timeout" if first.error == "timeout" else "http_error"
            for number in range(1, self.event_retries + 1):
                last = await self._attempt(
                    kind, label, payload, retry_num=number, retry_reason=reason, after_url=last.url
                )
                if last.acked:
                    break
        return first

    async def deliver_raw(self, body: bytes, headers: dict[str, str]) -> Delivery:
        """POST exactly these bytes and headers to the request URL (for malformed and forged requests)."""
        if not self.request_urls:
            raise RuntimeError("deliver_raw needs a request URL (set_request_url)")
        record = Delivery(
            seq=self._journal.next_seq(),
            transport="http",
            kind="raw",
            label="raw",
            payload={},
            at=self._clock.now(),
            raw_body=body,
            headers=dict(headers),
            url=self.next_url("raw"),
        )
        self._journal.add(record)
        await self._post(record, body, headers)
        return record

    async def _attempt(
        self,
        kind: str,
        label: str,
        payload: dict[str, Any],
        *,
        retry_num: int,
        retry_reason: str | None,
        after_url: str | None,
    ) -> Delivery:
        transport = self.transport()
        record = Delivery(
            seq=self._journal.next_seq(),
            transport=transport or "none",
            kind=kind,
            label=label,
            payload=payload,
            at=self._clock.now(),
            event_id=payload.get("event_id"),
            retry_num=retry_num,
            retry_reason=retry_reason,
            url=self.next_url(label, after_url) if transport == "http" else None,
        )
        self._journal.add(record)
        if transport is None:
            record.error = "no_transport"
            record.done = True
            self._journal.finish(record)
            return record
        if transport == "http":
            body, content_type = encode_body(kind, payload)
            headers = {"Content-Type": content_type, "User-Agent": USER_AGENT, **sign(body, secret=self.signing_secret)}
            if retry_num:
                headers["X-Slack-Retry-Num"] = str(retry_num)
                headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
            record.raw_body = body
            record.headers = headers
            await self._post(record, body, headers)
        else:
            await self._send_envelope(record, kind, payload, retry_num, retry_reason)
        self._judge(record)
        return record

    async def _post(self, record: Delivery, body: bytes, headers: dict[str, str]) -> None:
        assert self._session is not None and record.url is not None
        started = time.monotonic()
        self.in_flight += 1
        try:
            timeout = aiohttp.ClientTimeout(total=self.listen_seconds)
            async with self._session.post(record.url, data=body, headers=headers, timeout=timeout) as response:
                answer = await response.read()
                record.status = response.status
                record.ack = parse_ack(response.headers.get("Content-Type", ""), answer)
        except TimeoutError:
            record.error = "timeout"
        except aiohttp.ClientError as exc:
            record.error = f"connection_failed: {exc}"
        finally:
            self._finish(record, started)

    async def _send_envelope(
        self, record: Delivery, kind: str, payload: dict[str, Any], retry_num: int, retry_reason: str | None
    ) -> None:
        envelope: dict[str, Any] = {
            "envelope_id": secrets.token_hex(16),
            "type": ENVELOPE_TYPES[kind],
            "payload": payload,
            "accepts_response_payload": kind == "command" or payload.get("type") == "view_submission",
        }
        if kind == "event":
            envelope["retry_attempt"] = retry_num
            envelope["retry_reason"] = retry_reason or ""
        record.envelope_id = envelope["envelope_id"]
        started = time.monotonic()
        self.in_flight += 1
        try:
            record.ack = await self._hub.send(envelope, ack_within=self.listen_seconds)
            record.status = 200
        except TimeoutError:
            record.error = "timeout"
        except ConnectionError as exc:
            record.error = f"connection_failed: {exc}"
        finally:
            self._finish(record, started)

    def _finish(self, record: Delivery, started: float) -> None:
        self.in_flight -= 1
        record.latency = time.monotonic() - started
        record.done = True
        self._journal.finish(record)

    def _judge(self, record: Delivery) -> None:
        what = f"{record.kind} {record.label}" + (f" (retry {record.retry_num})" if record.retry_num else "")
        if record.latency is not None and record.latency > self.ack_deadline and record.status is not None:
            self._report(
                f"late ack: {what} was answered after {record.latency:.2f} s "
                f"(Slack gives up after {self.ack_deadline:g} s)"
            )
        if record.error == "timeout":
            how = "no ack frame" if record.transport == "socket" else "no HTTP answer"
            self._report(
                f"no ack: {what} got {how} within {self.ack_deadline:g} s (no listener, or ack() called too late)"
            )
        elif record.error and record.error.startswith("connection_failed"):
            self._report(f"delivery failed: {what}: {record.error}")
        elif record.status == 404:
            self._report(f"unhandled: {what} got HTTP 404 (no listener acknowledged it)")
        elif record.status == 401:
            self._report(f"rejected: {what} got HTTP 401 (signing secret mismatch?)")
        elif record.status is not None and not 200 <= record.status < 300:
            self._report(f"failed: {what} got HTTP {record.status}")
