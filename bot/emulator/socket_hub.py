"""The Socket Mode side of the local Slack: `apps.connections.open` URLs and the `/link` WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web


@dataclass
class SocketConnection:
    """One connected Socket Mode client, with the envelopes waiting for its ack."""

    number: int
    ws: web.WebSocketResponse
    pending: dict[str, asyncio.Future[Any]] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        """Still connected."""
        return not self.ws.closed


class SocketHub:
    """Hands out one-use WebSocket URLs, says hello, sends envelopes and matches acks by envelope_id."""

    def __init__(self, *, app_id: str, on_change: Callable[[], None]) -> None:
        self._app_id = app_id
        self._on_change = on_change
        self._tickets: set[str] = set()
        self.connections: list[SocketConnection] = []
        self.connections_made = 0

    def issue_url(self, ws_base: str) -> str:
        """A fresh `ws://…/link?ticket=…` URL, valid for one connection."""
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        return f"{ws_base}link?ticket={ticket}"

    def active(self) -> SocketConnection | None:
        """The newest open connection (Slack spreads envelopes across connections; one is enough here)."""
        for connection in reversed(self.connections):
            if connection.open:
                return connection
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The `/link` endpoint: accept a ticket, say hello, then read acks until the client leaves."""
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid_ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections_made += 1
        connection = SocketConnection(number=self.connections_made, ws=ws)
        self.connections.append(connection)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": sum(1 for c in self.connections if c.open),
                "debug_info": {"host": "applink-local", "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": self._app_id},
            }
        )
        self._on_change()
        try:
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    self._take_ack(connection, frame.data)
        finally:
            for future in connection.pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("the Socket Mode client disconnected"))
            connection.pending.clear()
            self.connections.remove(connection)
            self._on_change()
        return ws

    def _take_ack(self, connection: SocketConnection, data: str) -> None:
        with contextlib.suppress(ValueError):
            message = json.loads(data)
            future = connection.pending.pop(message.get("envelope_id", ""), None)
            if future is not None and not future.done():
                future.set_result(message.get("payload"))

    async def send(self, envelope: dict[str, Any], *, ack_within: float) -> Any:
        """Send an envelope and wait for its ack; returns the ack's payload (None when it has none).

        Raises TimeoutError when no ack arrives in time and ConnectionError when no client is connected.
        """
        connection = self.active()
        if connection is None:
            raise ConnectionError("no Socket Mode client is connected")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        connection.pending[envelope["envelope_id"]] = future
        try:
            await connection.ws.send_json(envelope)
            return await asyncio.wait_for(future, ack_within)
        finally:
            connection.pending.pop(envelope["envelope_id"], None)

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the connected clients to reconnect, as Slack does before it recycles a connection."""
        for connection in list(self.connections):
            if connection.open:
                await connection.ws.send_json(
                    {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-local"}}
                )

    async def close(self) -> None:
        """Close every connection (the local Slack is stopping)."""
        for connection in list(self.connections):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await connection.ws.close(code=1001, message=b"server shutting down")
