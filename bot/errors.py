"""Domain errors: each carries one actionable line that the CLI prints and Slack shows ephemerally."""

from __future__ import annotations


class CoachError(Exception):
    """A problem the person can fix; `message` says what went wrong and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(CoachError):
    """A missing or malformed setting."""


class NotFoundError(CoachError):
    """Something asked for does not exist (in this workspace)."""


class InputError(CoachError):
    """Input that cannot be understood or is out of bounds."""


class NotInstalled(CoachError):
    """The coach holds no usable bot token for a workspace (never installed there, or uninstalled)."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"The coach is not installed in workspace {team_id}: install it with Add to Slack first.")
        self.team_id = team_id
