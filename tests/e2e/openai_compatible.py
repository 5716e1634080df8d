"""A scripted OpenAI-compatible chat server on loopback (what vLLM or llama.cpp serve), for the LLM path's tests.

It speaks `POST /v1/chat/completions`, streamed (server-sent events, `data: [DONE]` last) or whole, and
does what the test scripted: answer in given pieces, fail with HTTP 500, or hang (accept, never answer).
It records what it was asked and notices when a client gives up on a hanging request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

API_KEY = "test"


@dataclass
class Script:
    """What the server does with each request: `reply` pieces, or `fail` with a 500, or `hang`."""

    reply: list[str] = field(default_factory=list)
    fail: bool = False
    hang: bool = False


@dataclass
class OpenAICompatibleServer:
    """The running server: its base URL (…/v1), its script, what it was asked, and abandoned requests."""

    base_url: str = ""
    script: Script = field(default_factory=Script)
    requests: list[dict[str, Any]] = field(default_factory=list)
    abandoned: int = 0
    _hung_up: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def wait_all_abandoned(self, timeout: float = 30.0) -> None:
        """Wait until the client has dropped every request it made (for a hanging script)."""
        async with self._hung_up:
            await asyncio.wait_for(self._hung_up.wait_for(lambda: 0 < len(self.requests) == self.abandoned), timeout)

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return web.json_response({"error": {"message": "bad key", "type": "invalid_request_error"}}, status=401)
        body = await request.json()
        self.requests.append(body)
        if self.script.fail:
            return web.json_response({"error": {"message": "the model crashed", "type": "server_error"}}, status=500)
        if self.script.hang:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:  # the client hung up (the runner cancels handlers on disconnect)
                async with self._hung_up:
                    self.abandoned += 1
                    self._hung_up.notify_all()
                raise
        if not body.get("stream"):
            message = {"role": "assistant", "content": "".join(self.script.reply)}
            return web.json_response(
                _completion(body, choice={"index": 0, "message": message, "finish_reason": "stop"})
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        for piece in self.script.reply:
            delta = {"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}
            await response.write(_event(_completion(body, choice=delta, chunk=True)))
        done = {"index": 0, "delta": {}, "finish_reason": "stop"}
        await response.write(_event(_completion(body, choice=done, chunk=True)))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def _completion(body: dict[str, Any], *, choice: dict[str, Any], chunk: bool = False) -> dict[str, Any]:
    return {
        "id": "chatcmpl-local",
        "object": "chat.completion.chunk" if chunk else "chat.completion",
        "created": 0,
        "model": body.get("model", ""),
        "choices": [choice],
    }


def _event(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


@asynccontextmanager
async def openai_compatible_server() -> AsyncIterator[OpenAICompatibleServer]:
    """Start the server on a free port of 127.0.0.1; stop it (and any request still open) on exit."""
    server = OpenAICompatibleServer()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", server.chat_completions)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.base_url = f"http://127.0.0.1:{port}/v1"
    try:
        yield server
    finally:
        await runner.cleanup()
