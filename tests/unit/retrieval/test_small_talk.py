"""Small talk: only a message made of greetings, thanks or "what can you do" is small talk; a question is not."""

import pytest

from bot.retrieval.small_talk import SmallTalk, small_talk

GREETING, THANKS, ABOUT = SmallTalk.GREETING, SmallTalk.THANKS, SmallTalk.ABOUT


@pytest.mark.parametrize(
    ("message", "said"),
    [
        ("hi", GREETING),
        ("Hi!", GREETING),
        ("hello coach :wave:", GREETING),
        ("hey there", GREETING),
        ("good morning all", GREETING),
        ("hiii", GREETING),
        ("hiya", GREETING),
        ("what's up", GREETING),
        ("yo \U0001f44b", GREETING),
        ("thanks!", THANKS),
        ("Thank you so much!", THANKS),
        ("thx", THANKS),
        ("great, thanks", THANKS),
        ("ok thanks", THANKS),
        ("that helps, thanks \U0001f64f", THANKS),
        ("Thanks!! :pray:", THANKS),
        ("thanksss", THANKS),
        ("thanks for the help", THANKS),
        ("got it", THANKS),
        ("makes sense", THANKS),
        ("perfect thank you", THANKS),
        ("cheers mate", THANKS),
        # asking what the coach is for outranks a greeting
        ("what can you do?", ABOUT),
        ("hi, what can you do?", ABOUT),
        ("help", ABOUT),
        ("who are you", ABOUT),
        ("How do I use this?", ABOUT),
        ("what should I ask", ABOUT),
    ],
)
def test_small_talk_is_read_as_what_it_says(message: str, said: SmallTalk) -> None:
    assert small_talk(message) is said


@pytest.mark.parametrize(
    "message",
    [
        "",
        "?",
        "yes",
        "hi, how do we start a flywheel?",
        "thanks, and what about storage?",
        "thanks for the answer about moats",
        "help us with cold start",
        "what is a moat?",
        "moat?",
        "ok but what about storage",
        "cool, what about spotify?",
        "what is this",
        "good data?",
        "start",
    ],
)
def test_a_message_that_asks_anything_else_is_not_small_talk(message: str) -> None:
    assert small_talk(message) is None
