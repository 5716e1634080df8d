"""The answer verbs of the CLI: index, ask --json, eval, gaps (real model, real Chroma, real SQLite)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import cli

runner = CliRunner()


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    return {"FLYWHEEL_DATA_DIR": str(tmp_path / "data")}


def test_ask_json_follows_the_documented_schema(environment):
    result = runner.invoke(cli, ["ask", "How do we start a data flywheel with no data?", "--json"], env=environment)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload) == {"answer", "grounded", "sources"}
    assert payload["grounded"] is True and payload["answer"]
    assert payload["sources"] and set(payload["sources"][0]) == {"title", "section", "source", "score"}
    assert payload["sources"][0]["source"].startswith("knowledge/")


def test_ask_declines_an_off_topic_question(environment):
    result = runner.invoke(cli, ["ask", "who won the champions league in 2022", "--json"], env=environment)
    payload = json.loads(result.output)
    assert payload["grounded"] is False and payload["sources"] == []
    assert payload["answer"].startswith("I can't find that in the material.")


def test_index_names_the_bad_files_and_indexes_the_rest(environment, tmp_path: Path, make_pdf):
    folder = tmp_path / "handbook"
    folder.mkdir()
    (folder / "oncall.md").write_text("# On-call\n\n## Pager\n\nThe pager rotates every Monday at nine.\n")
    (folder / "guide.pdf").write_bytes(make_pdf([["Escalate to the incident lead after ten minutes."]]))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog")
    (folder / "blob.md").write_bytes(b"\x00\x9f\x92\x96binary")
    result = runner.invoke(cli, ["index", str(folder), "--team", "T1"], env=environment)
    assert result.exit_code == 0, result.output
    assert "skipped handbook/broken.pdf: broken PDF" in result.output
    assert "skipped handbook/blob.md: binary content" in result.output
    assert "indexed 2 file(s)" in result.output
    again = runner.invoke(cli, ["index", str(folder), "--team", "T1", "--json"], env=environment)
    report = json.loads(again.stdout)
    assert sorted(f["source"] for f in report["unchanged"]) == ["handbook/guide.pdf", "handbook/oncall.md"]
    asked = runner.invoke(cli, ["ask", "when does the pager rotate?", "--team", "T1", "--json"], env=environment)
    assert json.loads(asked.stdout)["sources"][0]["source"] == "handbook/oncall.md"


def test_index_of_nothing_that_exists_is_an_error(environment, tmp_path: Path):
    result = runner.invoke(cli, ["index", str(tmp_path / "missing")], env=environment)
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_eval_prints_every_method_side_by_side(environment, tmp_path: Path):
    questions = Path(__file__).parent / "fixtures" / "eval.yaml"
    result = runner.invoke(cli, ["eval", "--questions", str(questions), "--json"], env=environment)
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    (only_set,) = scores["sets"]
    assert [m["method"] for m in only_set["methods"]] == ["bm25", "dense", "fused", "rrf", "langchain-baseline"]
    assert all(m["median_answer_chars"] >= 0 for m in only_set["methods"])
    assert 0 < scores["refusal_policy"]["threshold"] < 1
    one_set_fit = runner.invoke(cli, ["eval", "--questions", str(questions), "--fit"], env=environment)
    assert one_set_fit.exit_code == 1 and "two evaluation sets" in one_set_fit.output
    missing = runner.invoke(cli, ["eval", "--questions", str(tmp_path / "none.yaml")], env=environment)
    assert missing.exit_code == 1 and "no evaluation set" in missing.output


def test_gaps_with_nothing_stored(environment):
    result = runner.invoke(cli, ["gaps"], env=environment)
    assert result.exit_code == 0
    assert "no gaps" in result.output
