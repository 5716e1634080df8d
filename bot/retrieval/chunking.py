"""Heading-aware chunking: split by markdown headings, then into pieces that fit the embedder."""

import hashlib
import re
from collections.abc import Callable

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from bot.retrieval.loading import LoadedDocument
from bot.retrieval.models import Chunk

MAX_CHUNK_TOKENS = 220
CHUNK_OVERLAP_TOKENS = 30
_MIN_TEXT_TOKENS = 120
_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]


def _clean_heading(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[*_`]+", "", text).strip()


def _clean_body(text: str) -> str:
    # MarkdownHeaderTextSplitter joins the lines of a section with "  \n", losing paragraph breaks.
    text = text.replace("  \n", "\n\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def chunk_id(scope: str, source: str, text: str, occurrence: int) -> str:
    """A stable id: the same text in the same file and scope keeps its id (and its votes) across runs."""
    key = "\x1f".join((scope, source, str(occurrence), text))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def chunk_document(
    document: LoadedDocument,
    *,
    source: str,
    scope: str,
    file_hash: str,
    token_count: Callable[[str], int],
    max_tokens: int = MAX_CHUNK_TOKENS,
) -> list[Chunk]:
    """Split a document into chunks of at most ~`max_tokens` word-pieces (headings included).

    Each chunk keeps its document title and its section path (`Heading > Subheading`).
    """
    sections = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=True).split_text(document.markdown)
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for section in sections:
        body = _clean_body(section.page_content)
        if not body:
            continue
        headings = [_clean_heading(section.metadata[key]) for _, key in _HEADERS if key in section.metadata]
        if headings and headings[0] == document.title:
            headings = headings[1:]
        section_name = " > ".join(h for h in headings if h)
        heading_tokens = token_count(f"{document.title} > {section_name}")
        budget = max(_MIN_TEXT_TOKENS, max_tokens - heading_tokens)
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=budget,
            chunk_overlap=min(CHUNK_OVERLAP_TOKENS, budget // 4),
            length_function=token_count,
            separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
            keep_separator="end",
        )
        for piece in splitter.split_text(body):
            text = piece.strip()
            if not text:
                continue
            occurrence = seen.get(text, 0)
            seen[text] = occurrence + 1
            chunks.append(
                Chunk(
                    id=chunk_id(scope, source, text, occurrence),
                    text=text,
                    title=document.title,
                    section=section_name,
                    source=source,
                    file_hash=file_hash,
                    position=len(chunks),
                )
            )
    return chunks
