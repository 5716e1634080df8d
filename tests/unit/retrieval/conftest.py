"""Shared fixtures for the retrieval core: one real embedder per session, real Chroma in tmp_path."""

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.retrieval.embedder import MiniLMEmbedder
from bot.retrieval.knowledge_base import KnowledgeBase

FIXTURE_DOCS = Path(__file__).parent / "fixtures" / "docs"


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    """The real offline model, loaded once for all retrieval tests."""
    model = MiniLMEmbedder()
    model.load()
    return model


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A writable copy of the fixture documents, in a folder named `docs`."""
    target = tmp_path / "docs"
    shutil.copytree(FIXTURE_DOCS, target)
    return target


def settings_for(data_dir: Path, **overrides: object) -> SimpleNamespace:
    """The settings a KnowledgeBase reads (data_dir, chroma_url, llm_model, llm_timeout_s)."""
    return SimpleNamespace(
        **({"data_dir": data_dir, "chroma_url": None, "llm_model": "", "llm_timeout_s": 20.0} | overrides)
    )


@pytest.fixture
def open_knowledge(tmp_path: Path, embedder: MiniLMEmbedder):
    """Open a knowledge base on `tmp_path/data` (the same store each call), with options passed through."""

    async def open_it(**options: object) -> KnowledgeBase:
        settings = settings_for(tmp_path / "data", **options.pop("settings", {}))
        return await KnowledgeBase.open(settings, embedder=embedder, **options)

    return open_it


@pytest.fixture
async def knowledge(open_knowledge, docs: Path) -> KnowledgeBase:
    """A knowledge base in tmp_path with the fixture documents indexed as the shared material."""
    base = await open_knowledge()
    await base.ensure_indexed(docs)
    yield base
    await base.close()


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build_pdf(pages: list[list[str]]) -> bytes:
    """A small valid PDF whose pages hold the given lines of text (Helvetica), built by hand."""
    objects: list[str] = []
    page_ids = []
    font_id = 3 + 2 * len(pages)
    for number, lines in enumerate(pages):
        page_id, content_id = 3 + 2 * number, 4 + 2 * number
        page_ids.append(page_id)
        body = "BT /F1 12 Tf 14 TL 72 720 Td " + " ".join(f"({_pdf_string(line)}) Tj T*" for line in lines) + " ET"
        objects.append(
            f"{page_id} 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >> endobj\n"
        )
        objects.append(f"{content_id} 0 obj << /Length {len(body)} >> stream\n{body}\nendstream endobj\n")
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    objects = [
        "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n",
        f"2 0 obj << /Type /Pages /Kids [{kids}] /Count {len(pages)} >> endobj\n",
        *objects,
        f"{font_id} 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n",
    ]
    out = "%PDF-1.4\n"
    offsets = []
    for obj in objects:
        offsets.append(len(out.encode("latin-1")))
        out += obj
    xref_at = len(out.encode("latin-1"))
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n"
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    out += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
    return out.encode("latin-1")


@pytest.fixture
def make_pdf():
    """Build a small text PDF: `make_pdf([["line", ...], ...])` gives its bytes, one list per page."""
    return build_pdf
