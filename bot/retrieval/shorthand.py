"""Chat shorthand spelled out, so a question typed the way people type in Slack finds the material's words."""

import re

# Abbreviations of one word each, common in product and data teams' chat. Left out: those that are also words
# or mean several things ("prod", "sat", "wed", "pm").
_SPELLED_OUT = {
    "convo": "conversation",
    "convos": "conversations",
    "msg": "message",
    "msgs": "messages",
    "rec": "recommendation",
    "recs": "recommendations",
    "exec": "executive",
    "execs": "executives",
    "mgmt": "management",
    "mgr": "manager",
    "mgrs": "managers",
    "dev": "developer",
    "devs": "developers",
    "env": "environment",
    "info": "information",
    "nums": "numbers",
    "approx": "approximately",
    "pct": "percent",
    "dept": "department",
    "org": "organisation",
    "orgs": "organisations",
    "biz": "business",
    "cust": "customer",
    "custs": "customers",
    "yr": "year",
    "yrs": "years",
    "wk": "week",
    "wks": "weeks",
    "tue": "Tuesday",
    "tues": "Tuesday",
    "thu": "Thursday",
    "thur": "Thursday",
    "thurs": "Thursday",
    "fri": "Friday",
    "w/": "with",
    "w/o": "without",
    "b/c": "because",
}
_SHORTHAND = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(word) for word in sorted(_SPELLED_OUT, key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)


def spelled_out(question: str) -> str:
    """The question with chat shorthand written in full ("convos" -> "conversations", "tue/thu/fri" -> "Tuesday/
    Thursday/Friday")."""
    return _SHORTHAND.sub(lambda match: _SPELLED_OUT[match.group(1).lower()], question)
