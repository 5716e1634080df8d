"""Flywheel Coach: a Slack app that coaches product teams in building data flywheels."""

__version__ = "0.1.0"
