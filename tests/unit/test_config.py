"""The settings: defaults, normalisation, and one clear line for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_SLACK_API_URL, bundled_knowledge_dir, load_settings
from bot.errors import ConfigError


def test_defaults_need_no_environment(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.slack_api_url == DEFAULT_SLACK_API_URL
    assert settings.data_dir == Path(".flywheel")
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / '.flywheel' / 'coach.db'}"
    assert settings.chroma_url is None
    assert settings.llm_enabled is False
    assert settings.llm_timeout_s == 20
    assert settings.resolved_knowledge_dir == bundled_knowledge_dir()


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    monkeypatch.setenv("DATABASE_URL", "postgres://coach@127.0.0.1:5432/coach")
    monkeypatch.setenv("LLM_MODEL", "openai:gpt-4o-mini")
    monkeypatch.setenv("LLM_TIMEOUT_S", "2.5")
    settings = load_settings()
    assert settings.slack_bot_token == "xoxb-1"
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"
    assert settings.resolved_database_url == "postgresql+asyncpg://coach@127.0.0.1:5432/coach"
    assert settings.llm_enabled is True
    assert settings.llm_timeout_s == 2.5


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CHROMA_URL=http://127.0.0.1:8000\n")
    assert load_settings().chroma_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SLACK_BOT_TOKEN", "xapp-oops", "SLACK_BOT_TOKEN is invalid (does not start with 'xoxb-')"),
        ("SLACK_APP_TOKEN", "xoxb-oops", "SLACK_APP_TOKEN is invalid (does not start with 'xapp-')"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL is invalid ('slack.com/api' is not an http(s) URL)"),
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL is invalid (unsupported database 'mysql'"),
        ("DATABASE_URL", "not a url", "DATABASE_URL is invalid ('not a url' is not a database URL)"),
        ("CHROMA_URL", "localhost:8000", "CHROMA_URL is invalid"),
        ("LLM_MODEL", "gpt 4", "LLM_MODEL is invalid ('gpt 4' is not 'provider:model')"),
        ("LLM_TIMEOUT_S", "0", "LLM_TIMEOUT_S is invalid (0.0 is not a positive number of seconds)"),
        ("LLM_TIMEOUT_S", "-5", "LLM_TIMEOUT_S is invalid (-5.0 is not a positive number of seconds)"),
        ("LLM_TIMEOUT_S", "nan", "LLM_TIMEOUT_S is invalid (nan is not a positive number of seconds)"),
        ("LLM_TIMEOUT_S", "soon", "LLM_TIMEOUT_S is invalid (Input should be a valid number"),
    ],
)
def test_malformed_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert raised.value.message.startswith(expected)
    assert "expected" in raised.value.message
    assert "\n" not in raised.value.message


def test_missing_required_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^SLACK_SIGNING_SECRET is not set: expected the app's signing secret"):
        load_settings(SLACK_BOT_TOKEN="xoxb-1").require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")


def test_unwritable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match=r"^FLYWHEEL_DATA_DIR=.* cannot be created"):
        load_settings(FLYWHEEL_DATA_DIR=str(blocker / "data")).ensure_data_dir()


def test_any_workspace_mode_needs_client_credentials_and_no_bot_token() -> None:
    credentials = {"SLACK_CLIENT_ID": "123.456", "SLACK_CLIENT_SECRET": "s3cret"}
    assert load_settings(**credentials).multi_workspace
    assert not load_settings(**credentials, SLACK_BOT_TOKEN="xoxb-1").multi_workspace
    assert not load_settings(SLACK_CLIENT_ID="123.456").multi_workspace
    with pytest.raises(ConfigError, match="SLACK_REDIRECT_URI is invalid"):
        load_settings(**credentials, SLACK_REDIRECT_URI="coach.example.com/slack/oauth_redirect")
