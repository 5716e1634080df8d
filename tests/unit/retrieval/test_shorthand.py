"""Chat shorthand is spelled out before a question is searched."""

from bot.retrieval.shorthand import spelled_out


def test_chat_shorthand_is_spelled_out():
    assert spelled_out("how many convos did the bot handle") == "how many conversations did the bot handle"
    assert spelled_out("who came up with the tue/thu/fri cadence") == (
        "who came up with the Tuesday/Thursday/Friday cadence"
    )
    assert spelled_out("Recs for execs w/o a holdout?") == "recommendations for executives without a holdout?"


def test_words_that_only_contain_shorthand_are_left_alone():
    for question in ("how does the devops team review", "a framework for the environment", "a/b test results"):
        assert spelled_out(question) == question
