"""The evaluation harness: loading the question set and scoring every retriever side by side."""

from pathlib import Path

import pytest

from bot.bench.evaluation import (
    METHODS,
    evaluate,
    facts_hit,
    first_relevant_rank,
    format_table,
    load_questions,
    point_first,
)
from bot.errors import InputError
from bot.retrieval.knowledge_base import KnowledgeBase
from bot.retrieval.models import Passage

EVAL_SET = Path(__file__).parent / "fixtures" / "eval.yaml"


def test_questions_load_with_their_expectations():
    questions = load_questions(EVAL_SET)
    assert [q.id for q in questions] == ["f1", "f2", "f3", "f4"]
    assert questions[2].history == ("how did acme maps make tile rendering faster?",)
    assert questions[3].out_of_scope and not questions[0].out_of_scope


@pytest.mark.parametrize("content", ["", "just a string", "- {kind: fact}"])
def test_a_malformed_set_gets_a_clear_error(tmp_path: Path, content: str):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(InputError):
        load_questions(path)


def test_an_unknown_key_is_named_rather_than_silently_ignored(tmp_path: Path):
    path = tmp_path / "typo.yaml"
    path.write_text('- {question: "what is the ceo of acme", kind: fact, out_of_scope: true}\n')
    with pytest.raises(InputError, match="out_of_scope.*kind: out_of_scope"):
        load_questions(path)


def test_ranks_and_facts_are_matched_by_file_name_and_case():
    passages = [Passage(str(i), "", "", "", f"knowledge/{name}", 0.0) for i, name in enumerate(["a.md", "b.md"])]
    assert first_relevant_rank(passages, ["b.md", "c.md"]) == 2
    assert first_relevant_rank(passages, ["z.md"]) is None
    assert facts_hit("Cut from 750 ms to 14 MS", ["750", "14 ms"])
    assert not facts_hit("Cut from 750 ms", ["750", "14 ms"])


def test_the_point_first_counts_only_the_first_sentence():
    answer = "Acme cut rendering from 750 ms to 14 ms. [1] The rewrite took a quarter. [2]"
    assert point_first(answer, ["14 ms", "quarter"])
    assert not point_first(answer, ["quarter"])
    assert not point_first("", ["quarter"])
    assert point_first(answer, [])  # nothing expected, nothing missed (as with facts_hit)


async def test_every_method_is_scored_side_by_side(knowledge: KnowledgeBase):
    table = evaluate(knowledge, load_questions(EVAL_SET))
    assert [row.method for row in table] == list(METHODS)
    by_method = {row.method: row for row in table}
    assert by_method["fused"].recall_at_1 == 1.0
    assert by_method["fused"].fact_hit == 1.0
    assert by_method["fused"].point_first <= by_method["fused"].fact_hit
    assert by_method["fused"].refusal == 1.0
    assert by_method["langchain-baseline"].refusal == 0.0  # the plain pipeline always answers
    rendered = format_table(table)
    assert rendered.count("\n") == len(METHODS) + 1 and "| fused |" in rendered
