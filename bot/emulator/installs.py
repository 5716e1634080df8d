"""Who may call the local Slack: the app's installations, the tokens they hold, and OAuth codes in flight.

Tokens are checked the way Slack checks them: unknown is `invalid_auth`, revoked (uninstall) is
`token_revoked`, a rotating token past its lifetime (by the local Slack's clock) is `token_expired`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bot.clock import Clock
from bot.emulator.workspace import Enterprise, SlackError

# Slack's rotating access tokens live twelve hours; an authorization code ten minutes.
TOKEN_LIFETIME = timedelta(hours=12)
CODE_LIFETIME = timedelta(minutes=10)

TokenKind = Literal["bot", "user"]


@dataclass(frozen=True)
class BotIdentity:
    """Who the app's bot is in a workspace (or, for an org-wide install, in the whole enterprise)."""

    user_id: str
    bot_id: str
    app_id: str
    name: str


@dataclass
class Grant:
    """One access token: whose it is, until when, and the refresh token that renews it (rotation only)."""

    token: str
    kind: TokenKind
    user_id: str
    installation: Installation
    expires_at: datetime | None = None
    refresh_token: str | None = None
    revoked: bool = False


@dataclass
class Installation:
    """The app installed in one workspace, or org-wide in an enterprise (then serving all its workspaces)."""

    identity: BotIdentity
    team_ids: list[str]
    enterprise: Enterprise | None
    is_enterprise_install: bool
    installer_id: str | None
    bot_scopes: str
    user_scopes: str = ""
    grants: list[Grant] = field(default_factory=list)
    active: bool = True

    def current(self, kind: TokenKind) -> Grant | None:
        """The newest live token of this kind."""
        return next((g for g in reversed(self.grants) if g.kind == kind and not g.revoked), None)


@dataclass
class PendingCode:
    """An authorization code a person's consent produced, waiting for the app's oauth.v2.access."""

    code: str
    team_id: str
    installer_id: str
    bot_scopes: str
    user_scopes: str
    redirect_uri: str
    org_install: bool
    issued_at: datetime


class Credentials:
    """Every token, refresh token and authorization code the local Slack handed out."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._grants: dict[str, Grant] = {}
        self._refreshable: dict[str, Grant] = {}
        self._codes: dict[str, PendingCode] = {}

    def issue(
        self,
        installation: Installation,
        kind: TokenKind,
        user_id: str,
        *,
        rotating: bool = False,
        lifetime: timedelta = TOKEN_LIFETIME,
    ) -> Grant:
        """A new access token for `installation` (expiring, with a refresh token, when `rotating`)."""
        prefix = "xoxb" if kind == "bot" else "xoxp"
        where = installation.enterprise.id if installation.is_enterprise_install and installation.enterprise else ""
        where = where or installation.team_ids[0]
        if rotating:
            token = f"xoxe.{prefix}-1-{where}-{user_id}-{secrets.token_hex(16)}"
            grant = Grant(
                token,
                kind,
                user_id,
                installation,
                expires_at=self._clock.now() + lifetime,
                refresh_token=f"xoxe-1-{secrets.token_hex(24)}",
            )
            self._refreshable[grant.refresh_token or ""] = grant
        else:
            grant = Grant(f"{prefix}-{where}-{user_id}-{secrets.token_hex(12)}", kind, user_id, installation)
        self._grants[grant.token] = grant
        installation.grants.append(grant)
        return grant

    def resolve(self, token: str) -> Grant:
        """The live grant behind an access token, or Slack's error for it."""
        grant = self._grants.get(token)
        if grant is None:
            raise SlackError("invalid_auth")
        if grant.revoked:
            raise SlackError("token_revoked")
        if grant.expires_at is not None and self._clock.now() >= grant.expires_at:
            raise SlackError("token_expired")
        return grant

    def refresh(self, refresh_token: str, lifetime: timedelta) -> Grant:
        """Trade a refresh token (once) for a fresh access token and refresh token."""
        old = self._refreshable.pop(refresh_token, None)
        if old is None or not old.installation.active:
            raise SlackError("invalid_refresh_token")
        return self.issue(old.installation, old.kind, old.user_id, rotating=True, lifetime=lifetime)

    def revoke(self, installation: Installation) -> list[Grant]:
        """Revoke every token of an installation (its refresh tokens stop working too)."""
        revoked = [grant for grant in installation.grants if not grant.revoked]
        for grant in revoked:
            grant.revoked = True
            self._refreshable.pop(grant.refresh_token or "", None)
        installation.active = False
        return revoked

    def new_code(
        self,
        *,
        team_id: str,
        installer_id: str,
        bot_scopes: str,
        user_scopes: str,
        redirect_uri: str,
        org_install: bool,
    ) -> PendingCode:
        """An authorization code for a consent just given."""
        pending = PendingCode(
            code=f"{secrets.randbelow(10**12)}.{secrets.randbelow(10**12)}.{secrets.token_hex(32)}",
            team_id=team_id,
            installer_id=installer_id,
            bot_scopes=bot_scopes,
            user_scopes=user_scopes,
            redirect_uri=redirect_uri,
            org_install=org_install,
            issued_at=self._clock.now(),
        )
        self._codes[pending.code] = pending
        return pending

    def redeem_code(self, code: str) -> PendingCode:
        """Use an authorization code, once and within ten minutes (else `invalid_code`)."""
        pending = self._codes.pop(code, None)
        if pending is None or self._clock.now() - pending.issued_at > CODE_LIFETIME:
            raise SlackError("invalid_code")
        return pending
