"""Small talk: a message that only greets, thanks or asks what the coach is for is not a question to search.

Searched, "hi" and "thanks!" were declined with three unrelated "nearest topics", a "thanks" after an answer was
answered as a follow-up in its thread, and each went on the list of knowledge gaps. Only a message made of
nothing else is small talk: "hi, how do we start a flywheel?" is a question.
"""

import re
from enum import StrEnum


class SmallTalk(StrEnum):
    """What a message that asks nothing of the material says, the strongest first: a greeting that asks what the
    coach can do wants to know what it can do."""

    ABOUT = "about"
    """What the coach is for and how it is used: answered with what it does and questions to try."""
    GREETING = "greeting"
    THANKS = "thanks"
    """Thanks, or an acknowledgement ("got it", "makes sense")."""


def _phrases(*lines: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(phrase.split()) for line in lines for phrase in line.split(","))


_SAID: dict[SmallTalk | None, frozenset[tuple[str, ...]]] = {
    SmallTalk.ABOUT: _phrases(
        "help,help me,help please,help pls,commands,get started,getting started,how to start,how does this work",
        "how does it work,how do i use you,how do i use this,how do we use you,how do we use this,how can you help",
        "how can you help me,how can you help us,how do you work,what can you do,what do you do,what could you do",
        "what are you able to do,what do you know,what are you,what are you for,what is this bot,what's this bot",
        "who are you,are you a bot,what can i ask,what can i ask you,what should i ask,what can we ask",
        "what should we ask,what do i ask,what do i do,what can i do here,what can i say",
    ),
    SmallTalk.GREETING: _phrases(
        "hi,hii,hello,helo,hey,heya,hiya,howdy,yo,greetings,hola,sup,what's up,whats up,good morning,good afternoon",
        "good evening,good day,morning,afternoon,evening",
    ),
    SmallTalk.THANKS: _phrases(
        "thanks,thank you,thank u,thank ya,thx,thnx,tnx,ty,tysm,tyvm,cheers,ta,many thanks,much appreciated",
        "appreciate it,appreciated,helpful,very helpful,super helpful,really helpful,that helps,that helped",
        "this helps,this helped,that's helpful,thats helpful,that was helpful,this is helpful,makes sense",
        "that makes sense,got it,gotcha,understood,noted,ok,okay,k,kk,cool,great,perfect,awesome,nice,brilliant",
        "excellent,amazing,lovely,sweet,neat,good to know,will do,sounds good,all good,that's great,thats great",
        "that's perfect,thats perfect,perfect thanks,love it,wonderful,fantastic,good,good one,nice one,great stuff",
    ),
    # Words said alongside: whom it is said to, and how much.
    None: _phrases(
        "coach,flywheel coach,bot,buddy,friend,team,all,everyone,folks,there,mate,again,so much,very much,a lot",
        "a ton,heaps,loads,for that,for this,for the help,for your help,for the answer,you,so,really,very,and,oh",
        "wow,hmm,please,pls,lol,haha,ok so,alright,right,yes,yeah,yep",
    ),
}
_KIND_OF = {phrase: kind for kind, phrases in _SAID.items() for phrase in phrases}
_LONGEST = max(map(len, _KIND_OF))
_EMOJI_CODE = re.compile(r":[a-z0-9_+'-]+:")
_WORD = re.compile(r"[a-z0-9']+")
_DRAWN_OUT = re.compile(r"(\w)\1{2,}")
"""A letter said three times or more ("hiii", "thanksss") counts once."""


def small_talk(message: str) -> SmallTalk | None:
    """What `message` says when it is nothing but small talk, or None when it asks something of the material."""
    text = _EMOJI_CODE.sub(" ", message.lower().replace("\u2019", "'"))
    words = [_DRAWN_OUT.sub(r"\1", word) for word in _WORD.findall(text)]
    said: set[SmallTalk | None] = set()
    start = 0
    while start < len(words):
        # The longest phrase that starts here: "thank you so much" is thanks, not "thank" and then something else.
        for length in range(min(_LONGEST, len(words) - start), 0, -1):
            phrase = tuple(words[start : start + length])
            if phrase in _KIND_OF:
                said.add(_KIND_OF[phrase])
                start += length
                break
        else:
            return None
    return next((kind for kind in SmallTalk if kind in said), None)
