"""Reading files into markdown with a title, and heading-aware chunks that fit the embedder."""

from pathlib import Path

import pytest

from bot.retrieval.chunking import MAX_CHUNK_TOKENS, chunk_document
from bot.retrieval.embedder import MAX_TOKENS
from bot.retrieval.loading import LoadedDocument, UnreadableFile, discover, load_file, title_from_filename

FIXTURES = Path(__file__).parent / "fixtures" / "docs"


def test_markdown_title_comes_from_the_first_heading():
    document = load_file(FIXTURES / "acme-maps.md")
    assert document.title == "Case Study: Acme Maps"


def test_html_keeps_headings_and_drops_scripts_styles_and_navigation():
    document = load_file(FIXTURES / "loop-basics.html")
    assert document.title == "Loop Basics"
    assert "## Closing the Loop" in document.markdown
    assert "alert" not in document.markdown and "color: red" not in document.markdown
    assert "Home | About" not in document.markdown


def test_plain_text_gets_its_title_from_the_file_name():
    document = load_file(FIXTURES / "solar-panels.txt")
    assert document.title == "Solar panels"
    assert "inverter" in document.markdown


def test_pdf_pages_become_sections(tmp_path: Path, make_pdf):
    pdf = tmp_path / "guide.pdf"
    pdf.write_bytes(make_pdf([["First page talks about loops."], ["Second page talks about metrics."]]))
    document = load_file(pdf)
    assert document.title == "Guide"
    assert "## Page 1" in document.markdown and "## Page 2" in document.markdown
    assert "Second page talks about metrics." in document.markdown


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "empty"),
        ("blank.md", b"   \n\n  ", "no text"),
        ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "binary"),
        ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf", "broken PDF"),
        ("data.bin", b"\x00\x01", "unsupported file type .bin"),
    ],
)
def test_bad_files_say_why(tmp_path: Path, name: str, content: bytes, reason: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=reason):
        load_file(path)


def test_huge_files_are_refused_before_reading(tmp_path: Path):
    path = tmp_path / "big.txt"
    path.write_text("words " * 1000)
    with pytest.raises(UnreadableFile, match="too large"):
        load_file(path, max_bytes=1000)


def test_discover_names_files_by_folder_and_skips_hidden_ones(tmp_path: Path):
    root = tmp_path / "material"
    (root / "sub").mkdir(parents=True)
    (root / "a.md").write_text("# A")
    (root / "sub" / "b.txt").write_text("b")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("x")
    (root / ".hidden.md").write_text("x")
    assert [f.source for f in discover(root)] == ["material/a.md", "material/sub/b.txt"]
    assert [f.source for f in discover(root / "a.md")] == ["material/a.md"]


def test_title_from_filename_drops_numbering_and_dashes():
    assert title_from_filename(Path("07-cold-start_strategies.md")) == "Cold start strategies"


def _chunks(embedder, markdown: str, title: str = "Guide"):
    return chunk_document(
        LoadedDocument(title, markdown),
        source="docs/guide.md",
        scope="global",
        file_hash="abc",
        token_count=embedder.token_count,
    )


def test_chunks_carry_title_section_and_source(embedder):
    chunks = _chunks(
        embedder,
        "# Guide\n\nIntro line.\n\n## Storage\n\nKeep data reachable.\n\n### Silos\n\nTeams hoard copies.\n",
    )
    assert [(c.title, c.section) for c in chunks] == [
        ("Guide", ""),
        ("Guide", "Storage"),
        ("Guide", "Storage > Silos"),
    ]
    assert all(c.source == "docs/guide.md" and c.file_hash == "abc" for c in chunks)
    assert [c.position for c in chunks] == [0, 1, 2]
    assert chunks[2].embedding_text == "Guide > Storage > Silos\nTeams hoard copies."


def test_long_sections_split_into_chunks_that_fit_the_model(embedder):
    paragraph = " ".join(f"Sentence {n} explains one more detail about measuring the loop." for n in range(40))
    chunks = _chunks(embedder, f"# Guide\n\n## Measuring\n\n{paragraph}\n\n{paragraph}")
    assert len(chunks) > 2
    for chunk in chunks:
        assert chunk.section == "Measuring"
        assert embedder.token_count(chunk.embedding_text) <= MAX_CHUNK_TOKENS + 10 < MAX_TOKENS


def test_chunk_ids_are_stable_and_distinct(embedder):
    markdown = "# Guide\n\n## A\n\nSame words.\n\n## B\n\nSame words.\n"
    first, second = _chunks(embedder, markdown), _chunks(embedder, markdown)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)


def test_paragraph_breaks_survive_the_header_splitter(embedder):
    chunks = _chunks(embedder, "# Guide\n\n## A\n\nFirst paragraph.\n\nSecond paragraph.\n")
    assert chunks[0].text == "First paragraph.\n\nSecond paragraph."
