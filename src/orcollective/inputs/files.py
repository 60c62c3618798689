"""File inputs: a local path, an http(s) URL, a data URL or raw base64 -> content parts.

PDFs become ``file`` parts (OpenRouter parses them with its ``file-parser`` plugin); text files (md,
txt, csv, json, source code...) up to ``max_text_chars`` are inlined as ``text`` parts. Local files
are read under the same allowed roots and byte cap as images; URLs pass through unfetched (a URL
that does not end in a known text suffix is sent as a PDF for OpenRouter to fetch).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlsplit

from ..errors import InvalidArgument
from .images import (
    _URL_SCHEME,
    ImagePolicy,
    _short,
    checked_url,
    decode_base64,
    looks_like_base64,
    read_local,
    split_data_url,
)

MAX_FILES = 10
PdfEngine = Literal["native", "cloudflare-ai", "mistral-ocr"]
PDF_ENGINES: tuple[str, ...] = ("native", "cloudflare-ai", "mistral-ocr")
_HINT = "pass a file path, an http(s) URL, a data:application/pdf;base64, URL or base64 data"
# Inlined as text by name; any other name is inlined when its bytes are UTF-8 text.
TEXT_SUFFIXES = frozenset(
    ".md .markdown .txt .text .rst .csv .tsv .json .jsonl .yaml .yml .toml .ini .cfg .xml .html .htm .log .sql "
    ".py .js .ts .tsx .jsx .java .kt .go .rs .c .h .cc .cpp .hpp .cs .rb .php .swift .scala .sh .r .lua .tex".split()
)


@dataclass(frozen=True)
class FilePolicy:
    """Where local files may be read from, the byte cap per file and the longest text inlined."""

    allowed_roots: tuple[Path, ...]
    max_bytes: int = 20 * 1024 * 1024
    max_text_chars: int = 400_000

    def __post_init__(self) -> None:
        roots = tuple(Path(root).expanduser().resolve() for root in self.allowed_roots)
        object.__setattr__(self, "allowed_roots", roots)


def file_policy(images: ImagePolicy) -> FilePolicy:
    """Files follow the image rules: the same allowed roots (ORCOLLECTIVE_FILE_ROOTS, or the older
    ORCOLLECTIVE_IMAGE_ROOTS) and byte cap."""
    return FilePolicy(allowed_roots=images.allowed_roots, max_bytes=images.max_bytes)


@dataclass
class FileParts:
    """The content parts for some files, and how many of them are PDFs (which need ``file-parser``)."""

    parts: list[dict] = field(default_factory=list)
    pdfs: int = 0


async def load_files(sources: Sequence[str], policy: FilePolicy) -> FileParts:
    """``file_parts`` on a worker thread: reading files never blocks the event loop."""
    return await asyncio.to_thread(file_parts, sources, policy)


def file_parts(sources: Sequence[str], policy: FilePolicy) -> FileParts:
    """Every source as one content part, in order; the first bad one raises, naming its index."""
    if len(sources) > MAX_FILES:
        raise InvalidArgument(f"{len(sources)} files given, at most {MAX_FILES}; send fewer files per call.")
    out = FileParts()
    for index, source in enumerate(sources):
        try:
            part = file_part(source, policy)
        except InvalidArgument as exc:
            raise InvalidArgument(f"files[{index}]: {exc}") from exc
        out.parts.append(part)
        out.pdfs += part["type"] == "file"
    return out


def file_part(source: str, policy: FilePolicy) -> dict:
    """One file as a ``file`` part (PDF) or a ``text`` part (its text inside ``<file name=...>``)."""
    if not isinstance(source, str) or not source.strip():
        raise InvalidArgument(f"Empty file source; {_HINT}.")
    text = source.strip()
    if text[:5].lower() == "data:":
        return _from_data_url(text, policy)
    if _URL_SCHEME.match(text):
        url = checked_url(text, "File")
        name = PurePosixPath(unquote(urlsplit(url).path)).name or "document.pdf"
        if PurePosixPath(name).suffix.lower() in TEXT_SUFFIXES:
            raise InvalidArgument(
                f"File URL '{_short(url)}' is a text file, which is not fetched; pass its contents or a local path."
            )
        return _pdf(name, url)
    if looks_like_base64(text):
        label = f"base64 data '{_short(text)}'"
        return _classify("document", decode_base64(text, label, policy.max_bytes, "File", _HINT), label, policy)
    data = read_local(text, policy.allowed_roots, policy.max_bytes, "File", "ORCOLLECTIVE_FILE_ROOTS")
    return _classify(Path(text).name, data, f"'{_short(text)}'", policy)


def _from_data_url(url: str, policy: FilePolicy) -> dict:
    mime, payload, label = split_data_url(url, "File", "application/pdf")
    data = decode_base64(payload, label, policy.max_bytes, "File", _HINT)
    if mime.startswith("image/"):
        raise InvalidArgument(f"File {label} is an image; pass it in 'images' instead.")
    return _classify("document", data, label, policy)


def _classify(name: str, data: bytes, label: str, policy: FilePolicy) -> dict:
    """A PDF (by its magic bytes) or UTF-8 text; anything else is refused."""
    if data.lstrip()[:5] == b"%PDF-":
        pdf_name = name if name.lower().endswith(".pdf") else f"{PurePosixPath(name).stem or 'document'}.pdf"
        return _pdf(pdf_name, "data:application/pdf;base64," + base64.b64encode(data).decode("ascii"))
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = None
    if content is None or "\x00" in content:
        raise InvalidArgument(
            f"File {label} is neither a PDF nor UTF-8 text; convert it to PDF or text (images go in 'images')."
        )
    if len(content) > policy.max_text_chars:
        raise InvalidArgument(
            f"File {label} has {len(content):,} characters, over the {policy.max_text_chars:,} inlined; "
            "send an excerpt or a PDF."
        )
    return {"type": "text", "text": f'<file name="{_short(name, 80)}">\n{content}\n</file>'}


def _pdf(name: str, file_data: str) -> dict:
    return {"type": "file", "file": {"filename": name, "file_data": file_data}}
