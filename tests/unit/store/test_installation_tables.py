"""The installation tables our migrations create are the ones slack_sdk's stores read and write."""

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData

from bot.store.models.installations import (
    BOTS_TABLE,
    INSTALLATIONS_TABLE,
    OAUTH_STATES_TABLE,
    slack_bots,
    slack_installations,
    slack_oauth_states,
)


def _shape(table) -> dict[str, tuple[str, bool]]:  # noqa: ANN001
    return {column.name: (repr(column.type), bool(column.nullable)) for column in table.columns}


def test_tables_match_slack_sdk_column_for_column() -> None:
    metadata = MetaData()
    theirs = {
        INSTALLATIONS_TABLE: SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS_TABLE),
        BOTS_TABLE: SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS_TABLE),
        OAUTH_STATES_TABLE: SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, OAUTH_STATES_TABLE),
    }
    ours = {INSTALLATIONS_TABLE: slack_installations, BOTS_TABLE: slack_bots, OAUTH_STATES_TABLE: slack_oauth_states}
    for name, table in theirs.items():
        assert _shape(ours[name]) == _shape(table), name
        assert {index.name for index in ours[name].indexes} == {index.name for index in table.indexes}
