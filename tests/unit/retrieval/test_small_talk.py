"""Small talk: only a message made of greetings, thanks or "what can you do" is small talk; a question is not."""

import pytest

from bot.retrieval.small_talk import SmallTalk, small_talk


@pytest.mark.parametrize(
    "message",
    ["hi", "Hi!", "hello coach :wave:", "hey there", "good morning all", "hiii", "hiya", "what's up", "yo \U0001f44b"],
)
def test_greetings(message: str) -> None:
    assert small_talk(message) is SmallTalk.GREETING


@pytest.mark.parametrize(
    "message",
    [
        "thanks!",
        "Thank you so much!",
        "thx",
        "great, thanks",
        "ok thanks",
        "that helps, thanks \U0001f64f",
        "Thanks!! :pray:",
        "thanksss",
        "thanks for the help",
        "got it",
        "makes sense",
        "perfect thank you",
        "cheers mate",
    ],
)
def test_thanks_and_acknowledgements(message: str) -> None:
    assert small_talk(message) is SmallTalk.THANKS


@pytest.mark.parametrize(
    "message",
    ["what can you do?", "hi, what can you do?", "help", "who are you", "How do I use this?", "what should I ask"],
)
def test_asking_what_the_coach_is_for_outranks_a_greeting(message: str) -> None:
    assert small_talk(message) is SmallTalk.ABOUT


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
