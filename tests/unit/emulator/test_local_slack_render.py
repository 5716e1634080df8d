"""Block Kit as terminal text, with numbered choices."""

from collections.abc import Callable

from bot.emulator.render import Choice, Renderer


def renderer() -> Renderer:
    return Renderer(user_name={"U1": "ana"}.get, channel_name={"C1": "general"}.get)


def collect() -> tuple[list[Choice], Callable[[Choice], int]]:
    choices: list[Choice] = []

    def register(choice: Choice) -> int:
        choices.append(choice)
        return len(choices)

    return choices, register


def test_slack_markup_becomes_readable():
    text = "Hi <@U1>, see <#C1> or <#C9|random>: <https://x.io|the guide> <https://y.io> <!here> &lt;3 &amp; co"
    assert (
        renderer().mrkdwn(text)
        == "Hi @ana, see #general or #random: the guide (https://x.io) https://y.io @here <3 & co"
    )


def test_dates_show_their_fallback_text():
    assert renderer().mrkdwn("due <!date^1392734382^{date_short}|Feb 18, 2014>") == "due Feb 18, 2014"


def test_blocks_render_as_lines_and_choices_are_numbered_in_order():
    choices, register = collect()
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Title"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "line one\nline two"},
            "fields": [{"type": "mrkdwn", "text": "*a*"}],
            "accessory": {
                "type": "button",
                "action_id": "more",
                "value": "m",
                "text": {"type": "plain_text", "text": "More"},
            },
        },
        {"type": "divider"},
        {"type": "image", "image_url": "https://x/y.png", "alt_text": "loop"},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "yes",
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Yes"},
                },
                {
                    "type": "static_select",
                    "action_id": "stage",
                    "placeholder": {"type": "plain_text", "text": "Stage"},
                    "options": [{"text": {"type": "plain_text", "text": "Feedback"}, "value": "feedback"}],
                },
                {"type": "datepicker", "action_id": "when"},
            ],
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "by <@U1>"},
                {"type": "image", "image_url": "https://x", "alt_text": "logo"},
            ],
        },
    ]

    lines = renderer().blocks(blocks, register, message_ts="1.000001", surface="message")

    assert [line.text for line in lines] == [
        "Title",
        "line one",
        "line two",
        "  *a*",
        "  [1] More",
        "─" * 40,
        "[image: loop]",
        "  [2] Yes (primary)",
        "  Stage:",
        "    [3] Feedback",
        "  [4] datepicker…",
        "by @ana · [logo]",
    ]
    assert [line.style for line in lines][:1] == ["header"]
    assert choices[0] == Choice("More", "more", "button", "m", "1.000001", "message")
    assert (choices[2].kind, choices[2].value) == ("option", "feedback")
    assert (choices[3].kind, choices[3].value) == ("picker", "datepicker")


def test_rich_text_and_unknown_blocks_still_show_something():
    _, register = collect()
    lines = renderer().blocks(
        [
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "text", "text": "hello "},
                            {"type": "link", "url": "https://x", "text": "link"},
                        ],
                    }
                ],
            },
            {"type": "video"},
        ],
        register,
    )
    assert [line.text for line in lines] == ["hello link", "[video block]"]
