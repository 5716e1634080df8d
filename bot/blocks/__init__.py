"""Block Kit builders: pure functions from data to Slack blocks and views."""
