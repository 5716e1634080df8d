"""What the knowledge base keeps beside the vector store: each workspace's material key, and scope versions.

A workspace's own material is sealed (encrypted) in the vector store with a key of its own; deleting the key
leaves nothing readable of it there, whatever Chroma's write-ahead log still holds. Each scope's version is
bumped when its material changes, so every replica reloads it before its next answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken

from bot.store.db import Database
from bot.store.material import bump_versions, material_key, read_versions


class Seal:
    """Encrypts and decrypts one workspace's material with its key."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    @staticmethod
    def new_key() -> str:
        """A fresh random key."""
        return Fernet.generate_key().decode()

    def close(self, text: str) -> str:
        """`text`, sealed."""
        return self._fernet.encrypt(text.encode()).decode()

    def open(self, sealed: str) -> str:
        """The text a sealed value holds ("" if it was sealed with another key)."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return ""


class MaterialLedger(Protocol):
    """Keys and versions of material scopes, shared by every process that serves the same workspaces."""

    async def key(self, team_id: str, *, create: bool) -> str | None:
        """The workspace's material key (made on first use when `create`); None when it has none."""
        ...

    async def bump(self, scope: str, team_id: str | None) -> None:
        """Record that `scope`'s material changed."""
        ...

    async def versions(self, scopes: Iterable[str]) -> dict[str, int]:
        """The current version of each scope (absent: never changed, or deleted)."""
        ...


class MemoryLedger:
    """A ledger for one process alone (tools and tests that open a knowledge base without a database)."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}
        self._versions: dict[str, int] = {}

    async def key(self, team_id: str, *, create: bool) -> str | None:
        if create and team_id not in self._keys:
            self._keys[team_id] = Seal.new_key()
        return self._keys.get(team_id)

    async def bump(self, scope: str, team_id: str | None) -> None:
        self._versions[scope] = self._versions.get(scope, 0) + 1

    async def versions(self, scopes: Iterable[str]) -> dict[str, int]:
        return {scope: self._versions[scope] for scope in scopes if scope in self._versions}


class DatabaseLedger:
    """The ledger in the project's database: keys and versions every replica sees, deleted with the workspace."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def key(self, team_id: str, *, create: bool) -> str | None:
        async with self.db.session() as session:
            return await material_key(session, team_id=team_id, new_key=Seal.new_key() if create else None)

    async def bump(self, scope: str, team_id: str | None) -> None:
        async with self.db.session() as session:
            await bump_versions(session, names=[scope], team_id=team_id)

    async def versions(self, scopes: Iterable[str]) -> dict[str, int]:
        async with self.db.session() as session:
            return await read_versions(session, names=list(scopes))
