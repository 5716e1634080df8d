"""What reaches the extractive answer: the asks of a question, and whether the material covers its words."""

from bot.retrieval.embedder import WordVectors
from bot.retrieval.extractive import sentence_features
from bot.retrieval.followup import (
    asks_several_things,
    question_parts,
    situation_of,
    without_style_request,
    without_trailing_remark,
)
from bot.retrieval.grounding import WordLikeness, answer_absent, asks_an_errand, term_coverage
from bot.retrieval.lexical import Analyzer, LexicalIndex, inverse_document_frequency
from bot.retrieval.models import Passage


def test_a_trailing_generic_ask_is_not_a_separate_part():
    assert question_parts("our flywheel stopped improving, what should we do") == []
    assert question_parts("our analysts find stuff but nothing ever ships, how do we fix that") == []
    assert question_parts("feedback loop vs flywheel, what's the difference") == [
        "feedback loop",
        "flywheel what's the difference",
    ]


def test_real_asks_are_still_split():
    assert question_parts("perplexity growth and how sticky it is") == ["perplexity growth", "how sticky it is"]
    assert question_parts("harvey: when did they start, and who was the first big client") == [
        "harvey when did they start",
        "harvey who was the first big client",
    ]


def test_telling_the_situation_first_is_not_a_second_ask():
    assert not asks_several_things(question_parts("we have basically zero data, where do we even start"))
    assert not asks_several_things(question_parts("our tile cache is stale again, what do we fix first?"))
    assert asks_several_things(question_parts("perplexity growth and how sticky it is"))
    assert asks_several_things(question_parts("what happens on tuesday, thursday and friday"))
    # Told about someone else, or as a plan: still one ask after the telling.
    assert not asks_several_things(question_parts("the cto wants every tile redrawn nightly, full stop. any risk?"))
    assert not asks_several_things(
        question_parts(
            "logging every click from all our services, the plan is to keep everything and sort it out later. risk?"
        )
    )


def test_a_situation_is_searched_for_without_the_generic_ask_after_it():
    told = "our tile renders take most of the week to reach the map team"
    assert situation_of(f"{told}. where do we start?") == f"{told}."
    assert situation_of(f"{told}, what do we fix first") == told
    assert situation_of(f"{told} - step one?") == told
    assert situation_of(f"{told}. how do we fix that?") == f"{told}."
    # A short situation keeps its ask: "start" in "zero data, where do we start" is part of what it is about.
    assert situation_of("we have zero data, where do we start") == "we have zero data, where do we start"
    # An ask with a topic of its own, or a question before it, is not a situation and a generic ask.
    assert situation_of(f"{told}, how do we shorten the release path") == f"{told}, how do we shorten the release path"
    assert situation_of("what is a tile cache, how do we build one") == "what is a tile cache, how do we build one"
    assert situation_of("isnt a tile cache just a fancy name for a map? whats different") == (
        "isnt a tile cache just a fancy name for a map? whats different"
    )


def test_a_request_about_how_to_put_the_answer_is_not_part_of_the_question():
    assert without_style_request("what's a data flywheel in one sentence") == "what's a data flywheel"
    assert without_style_request("network learning, in plain english?") == "network learning?"
    assert without_style_request("TL;DR: what is model collapse") == "what is model collapse"
    assert without_style_request("quick question: who owns the feedback stage?") == "who owns the feedback stage?"
    # Nothing else left: the question stays as typed rather than becoming empty.
    assert without_style_request("briefly") == "briefly"
    assert without_style_request("what does brief mean") == "what does brief mean"


def test_a_remark_that_points_back_at_the_question_is_not_part_of_it():
    assert without_trailing_remark("is rollback risky? that's what our cto keeps asking") == "is rollback risky?"
    assert without_trailing_remark("do we need a canary? we're kinda doing that") == "do we need a canary?"
    # A situation told after the question is what it is about.
    assert without_trailing_remark("how do we start? we have no data") == "how do we start? we have no data"
    assert without_trailing_remark("is it risky? this is for our bank") == "is it risky? this is for our bank"
    assert without_trailing_remark("what is a moat?") == "what is a moat?"


def test_coverage_counts_derived_forms_of_longer_words_only():
    analyzer = Analyzer()
    passage = Passage("p1", "Resolution time fell sharply. The founders hired lawyers.", "Case", "Results", "a.md", 0.5)

    def coverage(question: str) -> float:
        return term_coverage(analyzer.terms(question), [passage], analyzer, lambda term: 1.0)

    assert coverage("how fast do they resolve tickets") > coverage("how fast do they settle tickets")
    # Short stems are left alone: "found" (to set up) is not "founders".
    assert coverage("who found the company") == coverage("who started the company")


def _absence_check(passages: list[Passage], analyzer: Analyzer, likeness: WordLikeness | None = None):
    """`answer_absent` over `passages` (or some of them), with the idf of an index of them all."""
    index = LexicalIndex([f"{p.section} {p.text}" for p in passages], analyzer)

    def idf(term: str) -> float:
        return inverse_document_frequency(term, [index])

    def absent(question: str, among: list[Passage] = passages, alike: WordLikeness | None = likeness) -> bool:
        return answer_absent(question, among, analyzer, idf, lambda p: sentence_features(p.text, analyzer), alike)

    return absent


def test_an_answer_the_passages_plainly_lack_is_noticed():
    analyzer = Analyzer()
    passages = [
        Passage("p1", "The studio ships 40 releases a year. Its 12 engineers review every change. Its founder, "
                "Ana, saved $2 million with a shared data store.", "Studio", "Pace", "a.md", 0.6),
        Passage("p2", "In 2024 the studio moved to weekly releases. Since 2019 its designers work in pairs.", "Studio",
                "History", "a.md", 0.5),
    ]  # fmt: skip
    absent = _absence_check(passages, analyzer)

    assert not absent("how many releases does the studio ship")
    assert not absent("how many engineers does the studio have")
    assert not absent("what changed at the studio in 2024")
    assert not absent("how much faster did the studio ship")  # a comparison, not a count
    assert absent("how many designers does the studio have")  # named with a year only, never counted
    assert absent("how many managers does the studio have")
    assert absent("what did the studio ship in 2015")  # a year it never names
    # A sum of money: only where the passages name one.
    assert not absent("how much did the studio save")
    assert not absent("how much money did the studio save")  # a sum, not a count of "money"
    assert absent("how much did the studio save", passages[1:])
    # A sum paid out or raised is not the sum saved: only where a sentence names it as paid.
    assert absent("how much did the studio pay for its data store")
    assert absent("how much did the studio spend on the data store")
    assert absent("how much did the studio raise")
    assert absent("roughly what the studio spends a year on its data store")  # a sum paid out, without "how much"
    assert absent("what did the studio pay for its data store")
    assert not absent("what we spend our week on at the studio")  # the team's own time, not a named payer's sum
    # What a product costs its buyers: a price where a passage names a sum, a person where "in charge" is asked.
    assert not absent("what does the studio charge for a release")
    assert absent("what does the studio charge for a release", passages[1:])
    assert absent("what's the price of the studio's pro plan", passages[1:])
    assert absent("studio subscription fees per seat", passages[1:])
    assert not absent("who should be in charge of the studio's releases", passages[1:])
    # The kind of thing asked for, when no passage has a word for it; a figure's kind is left to the checks above.
    assert not absent("who is the founder of the studio")
    assert not absent("who founded the studio")
    assert absent("who founded the studio", passages[1:])  # no passage speaks of a founder
    assert absent("who is the ceo of the studio")
    assert absent("which cloud provider does the studio use")
    assert not absent("what year did the studio move to weekly releases")
    assert absent("which a/b testing platform does the studio use")  # the head noun is the kind
    assert not absent("what approach did the studio take")  # a point it makes in its own words
    assert absent("what's the best vector db for the studio's releases")  # "the best X": X is the kind
    assert not absent("what's the best release for the studio")
    assert not absent("what is the best example of a studio release")  # an example is a point, not a thing
    assert not absent("when did the studio start, and who was its first designer")  # one part of two
    # Something the material never names: an owner, a subject, both sides of a choice.
    assert absent("how does acme's studio ship releases")
    assert absent("how many releases does acme ship")
    assert absent("jira or linear for the studio's releases?")
    assert absent("what do jira vs linear cost the studio")
    assert not absent("releases vs engineers: which does the studio count?")
    assert not absent("releases or engineers: which does the studio count?")
    # A common noun in those places is not a name: it has an article or an owner, opens a yes/no question, or
    # modifies another word.
    assert not absent("what does a kiosk's release cycle look like")
    assert not absent("how does our kiosk's release cycle compare")
    assert not absent("how do we keep our own kiosk's answers out of the releases")  # modifiers after "our"
    assert not absent("what did the new kiosk's engineers ship")
    assert absent("how does the studio compare to acme's")
    assert absent("how do the studio and acme's engineers review changes")  # "and" ends the studio's phrase
    assert not absent("does telemetry count as a release?")
    assert not absent("how does kiosk-style review fit the studio")
    # "does" as the main verb of a clause ("a bot that only does X") has no subject after it.
    assert not absent("we're building a bot that only does refunds and lookups, what's the risk for the studio")
    # A company's standing in the market, asked of it by name, where no passage speaks of it.
    assert absent("what's the studio's share price")
    assert absent("what was the studio's annual revenue")
    assert absent("what was the studio's total revenue last fiscal year")  # whatever words come between
    assert absent("what is the valuation of the studio")
    assert not absent("what's the revenue impact of the studio's weekly releases")
    # What it is asked to make, recommend or set up, by its head noun; shapes of an answer are filled from it.
    assert absent("can you recommend a good book on studio releases")
    assert absent("how do i set up kafka for the studio's releases")
    assert absent("draft a job ad for a studio engineer")
    assert not absent("how do we set up weekly releases")
    assert absent("how do i set up an incremental kafka store for the studio")  # what is set up: every word
    assert not absent("how do we set up a shared data store for the studio")
    assert not absent("can you recommend a decent data store for the studio")  # recommended: the head noun
    assert not absent("suggest a data store for the studio")
    assert not absent("write a checklist for the studio's releases")
    assert not absent("draft a memo on the studio's releases")
    # Errands are not questions: what it is asked to book or buy, or the language to translate into.
    assert absent("can you book a meeting room for the studio at 3")
    assert absent("order a pizza for the studio's release party")
    assert absent("schedule a retro with the studio's designers")
    assert absent("translate 'studio release' into german")
    assert not absent("translate the studio's release plan into plain english")
    # An errand stays one inside a thread, where the earlier question's key words are added in brackets.
    index = LexicalIndex([p.text for p in passages], analyzer)

    def idf(term: str) -> float:
        return inverse_document_frequency(term, [index])

    assert asks_an_errand("book a meeting room for friday (studio releases)", analyzer, idf)
    assert asks_an_errand("order a pizza (studio releases)", analyzer, idf)
    assert not asks_an_errand("schedule a weekly release review (studio)", analyzer, idf)
    assert not asks_an_errand("draft a job ad for a studio engineer", analyzer, idf)  # unknown, but not an errand
    assert not absent("write down what the studio ships")  # no article: not a thing to make
    # The team's own figures are in no material, however well it covers the topic; advice about them is.
    assert absent("what is our release count this quarter?")
    assert absent("how many engineers do we have")
    assert absent("how many releases did we make last year")
    assert not absent("how many releases should we ship a year")
    assert not absent("what's our biggest risk if the studio ships weekly")


def test_a_count_named_in_other_words_is_found_and_a_headcount_needs_staff_counted(embedder):
    analyzer = Analyzer()
    passages = [
        Passage("p1", "The assistant handled 2.3 million conversations in its first month. The fleet of 2 million "
                "vehicles sends clips. The firm's 3,500 attorneys at a client use it.", "Firm", "Scale", "a.md", 0.6),
    ]  # fmt: skip
    absent = _absence_check(passages, analyzer, WordVectors(embedder).likeness)

    assert not absent("how many chats did the assistant handle")
    assert not absent("how many cars are in the fleet")
    assert absent("how many chats did the assistant handle", alike=None)  # only the material's own words
    assert absent("how many gpus does the assistant run on")
    assert absent("how many patents does the firm hold")
    # The firm's own people are not its client's: a headcount only where a sentence counts staff.
    assert not absent("how many attorneys use it")
    assert absent("how many attorneys does the firm employ")
    assert absent("how many engineers work at the firm")
