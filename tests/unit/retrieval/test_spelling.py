"""Misspelt words are corrected to the material's own before a question is searched."""

from bot.retrieval.knowledge_base import KnowledgeBase
from bot.retrieval.spelling import Vocabulary, corrected

TILES = Vocabulary(["Acme Maps renders each tile once", "Harvey bounded the renderer's tile cache"])


def test_a_word_the_material_and_english_both_lack_becomes_the_materials_nearest():
    assert corrected("how did harvy cache tiles", [TILES]) == "how did harvey cache tiles"
    assert corrected("what does accme draw", [TILES]) == "what does acme draw"
    assert corrected("why is harvy's cache bounded", [TILES]) == "why is harvey's cache bounded"


def test_english_words_short_words_and_far_words_are_left_alone():
    question = "who founded uber and how does kafka render tiles"  # "founded" is English, not "bounded"
    assert corrected(question, [TILES]) == question


def test_the_nearest_word_of_any_scope_is_taken():
    team = Vocabulary(["Our kiosk starter guide"])
    assert corrected("the kiosq starter and harvy", [TILES, team]) == "the kiosk starter and harvey"


async def test_a_misspelt_question_finds_what_the_spelt_one_finds(knowledge: KnowledgeBase):
    spelt = await knowledge.search("how do you feed a sourdough starter", k=1)
    misspelt = await knowledge.search("how do you feed a sourdogh startr", k=1)
    assert [p.id for p in misspelt] == [p.id for p in spelt]
    assert spelt[0].source == "docs/sourdough.md"
