"""Every setting the coach reads, in one place (environment variables and an optional `.env`)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"

# What each variable expects, in the words the one-line start-up error uses.
EXPECTATIONS = {
    "SLACK_BOT_TOKEN": "a bot token starting with 'xoxb-'",
    "SLACK_SIGNING_SECRET": "the app's signing secret (Basic Information > App Credentials)",
    "SLACK_CLIENT_ID": "the app's client id (Basic Information > App Credentials)",
    "SLACK_CLIENT_SECRET": "the app's client secret (Basic Information > App Credentials)",
    "SLACK_REDIRECT_URI": "the https URL of /slack/oauth_redirect, as listed in the app's Redirect URLs",
    "SLACK_APP_TOKEN": "an app-level token starting with 'xapp-' (Socket Mode)",
    "SLACK_API_URL": "an http(s) URL such as https://slack.com/api/",
    "FLYWHEEL_DATA_DIR": "a directory path the coach may write to",
    "DATABASE_URL": "a SQLAlchemy URL such as sqlite+aiosqlite:///coach.db or postgresql://user@host/db",
    "CHROMA_URL": "a Chroma server URL such as http://127.0.0.1:8000",
    "KNOWLEDGE_DIR": "a directory of markdown, text, HTML or PDF files",
    "LLM_MODEL": "'provider:model' as LangChain's init_chat_model takes it (e.g. openai:gpt-4o-mini), or empty",
    "LLM_TIMEOUT_S": "a positive number of seconds to wait for the model's whole answer (e.g. 20)",
}

DEFAULT_LLM_TIMEOUT_S = 20.0


def bundled_knowledge_dir() -> Path:
    """The flywheel material that ships with the coach: inside the wheel, or beside the source tree."""
    packaged = Path(__file__).parent / "knowledge"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "knowledge"


class Settings(BaseSettings):
    """The coach's configuration; see the README's configuration table."""

    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore", populate_by_name=True)

    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: str | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    slack_redirect_uri: str | None = Field(default=None, alias="SLACK_REDIRECT_URI")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default=DEFAULT_SLACK_API_URL, alias="SLACK_API_URL")
    data_dir: Path = Field(default=Path(".flywheel"), alias="FLYWHEEL_DATA_DIR")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    chroma_url: str | None = Field(default=None, alias="CHROMA_URL")
    knowledge_dir: Path | None = Field(default=None, alias="KNOWLEDGE_DIR")
    llm_model: str = Field(default="", alias="LLM_MODEL")
    llm_timeout_s: float = Field(
        default=DEFAULT_LLM_TIMEOUT_S,
        alias="LLM_TIMEOUT_S",
        description="Seconds the model has to finish its answer; after that the extractive answer is posted "
        "(after what the model already streamed, if anything). Also the provider client's request timeout.",
    )

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("xoxb-"):
            raise ValueError("does not start with 'xoxb-'")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("xapp-"):
            raise ValueError("does not start with 'xapp-'")
        return value

    @field_validator("slack_api_url", "chroma_url", "slack_redirect_uri")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme, sep, rest = value.partition("://")
        if not sep or not rest:
            raise ValueError(f"{value!r} is not a database URL")
        drivers = {
            "sqlite": "sqlite+aiosqlite",
            "sqlite+aiosqlite": "sqlite+aiosqlite",
            "postgres": "postgresql+asyncpg",
            "postgresql": "postgresql+asyncpg",
            "postgresql+asyncpg": "postgresql+asyncpg",
            "postgresql+psycopg": "postgresql+asyncpg",
        }
        if scheme not in drivers:
            raise ValueError(f"unsupported database {scheme!r} (use SQLite or PostgreSQL)")
        return f"{drivers[scheme]}://{rest}"

    @field_validator("llm_model")
    @classmethod
    def _llm_model(cls, value: str) -> str:
        if value and not re.fullmatch(r"[\w.-]+:[\w./:-]+", value):
            raise ValueError(f"{value!r} is not 'provider:model'")
        return value

    @field_validator("llm_timeout_s")
    @classmethod
    def _positive_timeout(cls, value: float) -> float:
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{value} is not a positive number of seconds")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database to use: DATABASE_URL, or a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'coach.db').resolve()}"

    @property
    def resolved_knowledge_dir(self) -> Path:
        """The material indexed on first start: KNOWLEDGE_DIR, or the bundled guide."""
        return self.knowledge_dir or bundled_knowledge_dir()

    @property
    def multi_workspace(self) -> bool:
        """Whether any workspace may install the coach ("Add to Slack"): client id and secret, and no bot token."""
        return bool(self.slack_client_id and self.slack_client_secret and not self.slack_bot_token)

    @property
    def llm_enabled(self) -> bool:
        """Whether answers are written by an LLM (otherwise they are extractive)."""
        return bool(self.llm_model)

    def require(self, *names: str) -> None:
        """Stop with one clear line unless each named variable (e.g. 'SLACK_BOT_TOKEN') is set."""
        fields = {info.alias: name for name, info in type(self).model_fields.items()}
        for alias in names:
            if not getattr(self, fields[alias]):
                raise ConfigError(f"{alias} is not set: expected {EXPECTATIONS[alias]}.")

    def ensure_data_dir(self) -> Path:
        """Create the data directory if needed, with a clear error when that is impossible."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(
                f"FLYWHEEL_DATA_DIR={self.data_dir} cannot be created ({error.strerror}): "
                f"expected {EXPECTATIONS['FLYWHEEL_DATA_DIR']}."
            ) from error
        return self.data_dir


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning the first invalid value into one line naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        alias = str(first["loc"][0]) if first["loc"] else "configuration"
        reason = first["msg"].removeprefix("Value error, ")
        expected = EXPECTATIONS.get(alias, "a valid value")
        raise ConfigError(f"{alias} is invalid ({reason}): expected {expected}.") from None
