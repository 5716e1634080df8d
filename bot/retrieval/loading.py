"""Read markdown, text, HTML and PDF files into markdown-like text with a title, or say why not."""

import logging
import re
from dataclasses import dataclass
from pathlib import Path

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdx"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ".rst"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_SNIFF_BYTES = 8192


class UnreadableFile(Exception):
    """A file that cannot be indexed; the message says why, in words a person can act on."""


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """A file's text as markdown (headings marked with #) and its title."""

    title: str
    markdown: str


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file found for indexing, with the short, stable name it is cited by."""

    path: Path
    source: str


def title_from_filename(path: Path) -> str:
    """A readable title from a file name: `cold-start_strategies.md` -> `Cold start strategies`."""
    words = re.sub(r"[-_]+", " ", path.stem).strip()
    words = re.sub(r"^\d+\s+", "", words)
    return words[:1].upper() + words[1:] if words else path.name


def _is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def discover(root: Path) -> list[SourceFile]:
    """Every visible file under `root` (or `root` itself), named `<folder>/<relative path>`."""
    if not root.is_dir():
        return [SourceFile(root, f"{root.parent.name}/{root.name}" if root.parent.name else root.name)]
    # Anything not a folder is listed (FIFOs and broken links too), so `load_file` can say why it is skipped.
    files = sorted(p for p in root.rglob("*") if not p.is_dir() and not _is_hidden(p, root))
    return [SourceFile(p, f"{root.name}/{p.relative_to(root).as_posix()}") for p in files]


def _decode_text(data: bytes) -> str:
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise UnreadableFile("binary content, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        if text.count("\ufffd") > max(3, len(text) // 200):
            raise UnreadableFile("binary content or an unknown text encoding (expected UTF-8)") from None
        return text


def _markdown_title(text: str) -> str | None:
    match = re.search(r"^#\s+(.+?)\s*#*\s*$", text, flags=re.MULTILINE)
    return match.group(1).strip() if match else None


def _load_markdown(path: Path, data: bytes) -> LoadedDocument:
    text = _decode_text(data)
    return LoadedDocument(_markdown_title(text) or title_from_filename(path), text)


def _load_text(path: Path, data: bytes) -> LoadedDocument:
    # Plain text has no headings: a stray leading "#" must not become one.
    text = re.sub(r"^(\s*)#", r"\1\\#", _decode_text(data), flags=re.MULTILINE)
    return LoadedDocument(title_from_filename(path), text)


def _load_html(path: Path, data: bytes) -> LoadedDocument:
    from bs4 import BeautifulSoup

    if b"\x00" in data[:_SNIFF_BYTES]:
        raise UnreadableFile("binary content, not HTML")
    soup = BeautifulSoup(data, "html.parser")
    for element in soup(["script", "style", "noscript", "nav", "footer", "header", "svg", "form"]):
        element.decompose()
    title_tag = soup.find("title")
    h1 = soup.find("h1")
    title = (title_tag.get_text(" ", strip=True) if title_tag else "") or (h1.get_text(" ", strip=True) if h1 else "")
    body = soup.body or soup
    for level in range(1, 5):
        for heading in body.find_all(f"h{level}"):
            heading.replace_with(f"\n\n{'#' * level} {heading.get_text(' ', strip=True)}\n\n")
    for item in body.find_all("li"):
        item.insert_before("\n- ")
    for block in body.find_all(["p", "div", "section", "article", "br", "tr", "pre", "blockquote"]):
        block.insert_after("\n\n")
    raw = body.get_text("")
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in raw.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return LoadedDocument(title or title_from_filename(path), text)


def _load_pdf(path: Path) -> LoadedDocument:
    from pypdf import PdfReader

    # pypdf logs every recoverable oddity of a damaged file; the skip reason says enough.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile("the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        metadata_title = (reader.metadata.title if reader.metadata else None) or ""
    except UnreadableFile:
        raise
    except Exception as error:  # pypdf raises many kinds of errors on damaged files
        raise UnreadableFile(f"broken PDF ({type(error).__name__}: {error})") from None
    sections = [f"## Page {number}\n\n{text.strip()}" for number, text in enumerate(pages, start=1) if text.strip()]
    if not sections:
        raise UnreadableFile("the PDF has no extractable text (a scan?)")
    return LoadedDocument(metadata_title.strip() or title_from_filename(path), "\n\n".join(sections))


def ensure_regular_file(path: Path) -> None:
    """Raise `UnreadableFile` for a broken link or anything not a regular file (call it before any read)."""
    if path.is_symlink() and not path.exists():
        raise UnreadableFile("a broken symbolic link")
    if not path.is_file():
        raise UnreadableFile("not a regular file")  # a FIFO, socket or device: reading it could block forever


def load_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    """Read one file; raise `UnreadableFile` with the reason when it cannot be indexed."""
    ensure_regular_file(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFile(f"unsupported file type {suffix or '(no extension)'}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise UnreadableFile(f"too large ({size / 1e6:.1f} MB, the limit is {max_bytes / 1e6:.0f} MB)")
        if size == 0:
            raise UnreadableFile("empty file")
        if suffix in PDF_SUFFIXES:
            document = _load_pdf(path)
        else:
            data = path.read_bytes()
            loader = (
                _load_html
                if suffix in HTML_SUFFIXES
                else (_load_markdown if suffix in MARKDOWN_SUFFIXES else _load_text)
            )
            document = loader(path, data)
    except OSError as error:
        raise UnreadableFile(f"cannot be read ({error.strerror or error})") from None
    if not document.markdown.strip():
        raise UnreadableFile("no text in it")
    return document
