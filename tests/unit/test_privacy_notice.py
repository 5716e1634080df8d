"""What the coach stores and how to delete it is said where people look: /flywheel help and the Home tab."""

from slack_sdk.models.blocks import Block

from bot.blocks.help import PRIVACY, build_help, build_welcome
from bot.blocks.home import build_home


def _texts(blocks: list[dict]) -> str:
    return " ".join(str(block) for block in blocks)


def test_help_home_and_welcome_say_what_is_stored_and_how_to_delete_it() -> None:
    home = build_home(feature_blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 120)
    for blocks in (build_help(), home["blocks"], build_welcome()):
        assert PRIVACY in _texts(blocks)
        assert all(Block.parse(block) is not None for block in blocks)
    assert len(home["blocks"]) <= 100
    assert "deletes all of it" in PRIVACY and "no message text" in PRIVACY
