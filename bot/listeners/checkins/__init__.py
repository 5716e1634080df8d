"""Check-ins in Slack: `/flywheel checkins ...`, the prompts' buttons and modals, replies in their threads.

handlers  what each command verb, button, modal and thread reply does (`CheckinsSlack`)
forms     reading button values, submitted modals and command words
poster    the `CheckinPoster` the scheduler and `checkins run-due` post through
"""

from slack_bolt.async_app import AsyncApp

from bot.blocks import checkins as blocks
from bot.checkins.dispatch import THREAD_KIND
from bot.listeners.checkins.handlers import CheckinsSlack
from bot.listeners.errors import reporting_errors
from bot.listeners.router import Routes
from bot.services import Services

USAGE = "checkins on|off|status|settings|skip|away|back"


def register(app: AsyncApp, services: Services, routes: Routes) -> None:
    """`/flywheel checkins ...`, the check-in buttons and modals, and replies in check-in threads."""
    slack = CheckinsSlack(services.checkins)
    routes.add_subcommand("checkins", slack.handle_checkins_command, usage=USAGE)
    routes.add_thread_kind(THREAD_KIND, slack.handle_thread_reply)
    routes.home_sections.append(slack.home_section)
    actions = {
        blocks.ACTION_ADD_ITEM: slack.handle_add_item,
        blocks.ACTION_EDIT_ITEM: slack.handle_edit_item,
        blocks.ACTION_REPORT_RESULT: slack.handle_report_result,
        blocks.ACTION_SKIP_WEEK: slack.handle_skip_week,
        blocks.ACTION_AWAY_WEEK: slack.handle_away_week,
        blocks.ACTION_OPEN_SETTINGS: slack.handle_open_settings,
    }
    views = {
        blocks.VIEW_ITEM: slack.handle_item_submitted,
        blocks.VIEW_RESULT: slack.handle_result_submitted,
        blocks.VIEW_SETTINGS: slack.handle_settings_submitted,
    }
    for action_id, handler in actions.items():
        app.action(action_id)(reporting_errors(handler))
    for callback_id, handler in views.items():
        app.view(callback_id)(reporting_errors(handler))
