"""Files, the v2 way: files.getUploadURLExternal, a raw or multipart upload, files.completeUploadExternal."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from bot.emulator.api_chat import new_bot_message, thread_parent
from bot.emulator.checks import block_errors
from bot.emulator.workspace import FileRecord, SlackError, Workspace

if TYPE_CHECKING:
    from bot.emulator.web_api import Handler, Params, WebApi


async def files_get_upload_url_external(api: WebApi, params: Params) -> dict[str, Any]:
    """Reserve a file id and hand out an upload URL on the local Slack (no auth needed to use it)."""
    name = str(params.require("filename"))
    length = params.integer("length")
    if length is None or length < 0:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] length is required"]})
    record = FileRecord(
        id=api.workspace.new_id("F"),
        name=name,
        declared_length=length,
        user=api.bot.user_id,
        created=api.workspace.now_seconds(),
        alt_txt=params.get("alt_txt") or params.get("alt_text"),
        upload_key=secrets.token_hex(12),
    )
    api.workspace.files[record.id] = record
    api.workspace.changed()
    return {"upload_url": f"{api.base_url()}upload/v1/{record.upload_key}", "file_id": record.id}


async def files_complete_upload_external(api: WebApi, params: Params) -> dict[str, Any]:
    """Finish uploads (checking the byte count) and share them, with an optional comment, in a conversation."""
    entries = params.require("files")
    if not isinstance(entries, list) or not entries:
        raise SlackError("invalid_arguments")
    records = []
    for entry in entries:
        record = api.workspace.files.get(str(entry.get("id", ""))) if isinstance(entry, dict) else None
        if record is None:
            raise SlackError("file_not_found")
        if record.content is None:
            api.report(f"files.completeUploadExternal: {record.id} was never uploaded to its upload_url")
            raise SlackError("file_not_found")
        if record.size != record.declared_length:
            api.report(
                f"files.completeUploadExternal: {record.id} declared {record.declared_length} bytes "
                f"but {record.size} were uploaded"
            )
            raise SlackError("file_upload_size_mismatch")
        records.append((record, entry))
    channel_ref = params.get("channel_id") or str(params.get("channels") or "").split(",")[0]
    conversation = api.postable(channel_ref) if channel_ref else None
    blocks = params.get("blocks") or []
    if blocks and block_errors(blocks):
        errors = block_errors(blocks)
        api.report("invalid blocks in files.completeUploadExternal: " + "; ".join(errors))
        raise SlackError("invalid_blocks", errors=errors)
    for record, entry in records:
        record.title = str(entry.get("title") or record.title or record.name)
        record.completed = True
    if conversation is not None:
        thread_ts = thread_parent(api, conversation.id, params.get("thread_ts"), "files.completeUploadExternal")
        message = new_bot_message(
            api,
            conversation.id,
            text=str(params.get("initial_comment") or ""),
            blocks=blocks,
            attachments=[],
            thread_ts=thread_ts,
            files=[record.id for record, _ in records],
            subtype="file_share",
        )
        for record, _ in records:
            record.shares.append((conversation.id, message.ts))
    api.workspace.changed()
    return {"files": [record.to_api(api.base_url()) for record, _ in records]}


async def files_info(api: WebApi, params: Params) -> dict[str, Any]:
    """One file's details."""
    record = api.workspace.files.get(str(params.require("file")))
    if record is None or not record.completed:
        raise SlackError("file_not_found")
    return {"file": record.to_api(api.base_url()), "comments": [], "response_metadata": {"next_cursor": ""}}


async def receive_upload(workspace: Workspace, request: web.Request) -> web.Response:
    """`POST /upload/v1/<key>`: the file's bytes, raw or as a multipart form."""
    key = request.match_info["key"]
    record = next((f for f in workspace.files.values() if f.upload_key == key), None)
    if record is None or record.completed:
        return web.Response(status=404, text="upload_not_found")
    if request.content_type.startswith("multipart/"):
        content = b""
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, BodyPartReader) and (part.filename or part.name in ("file", "filename")):
                content = bytes(await part.read(decode=False))
                break
    else:
        content = await request.read()
    record.content = content
    workspace.changed()
    return web.Response(text=f"OK - {len(content)}")


async def serve_file(workspace: Workspace, request: web.Request) -> web.Response:
    """`GET /files/<id>/<name>`: a shared file's bytes."""
    record = workspace.files.get(request.match_info["file_id"])
    if record is None or record.content is None:
        return web.Response(status=404, text="file_not_found")
    return web.Response(body=record.content, content_type=record.mimetype)


HANDLERS: dict[str, Handler] = {
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
    "files.info": files_info,
}
