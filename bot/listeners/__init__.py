"""Slack-facing code only: parse the request, call the core, render blocks."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import answers as answer_listeners
from bot.listeners import checkins as checkin_listeners
from bot.listeners import help, home, lifecycle, router
from bot.listeners import interview as interview_listeners
from bot.listeners.router import Routes
from bot.services import Services


def register_listeners(app: AsyncApp, services: Services) -> Routes:
    """Register every feature's listeners and the shared entry points that route to them."""
    routes = Routes()
    help.register(app, services, routes)
    home.register(app, services, routes)
    interview_listeners.register(app, services, routes)
    answer_listeners.register(app, services, routes)
    checkin_listeners.register(app, services, routes)
    lifecycle.register(app, services, routes)
    router.register(app, services, routes)
    return routes
