"""File inputs: PDFs as file parts, text inlined, every other source refused with one line naming the fix."""

from __future__ import annotations

import base64
import os

import pytest

from orcollective.errors import InvalidArgument
from orcollective.inputs.files import MAX_FILES, FilePolicy, file_part, file_parts, file_policy
from orcollective.inputs.images import ImagePolicy

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
def policy(tmp_path) -> FilePolicy:
    return FilePolicy(allowed_roots=(tmp_path,), max_bytes=4096, max_text_chars=100)


def error(source: str, policy: FilePolicy) -> str:
    with pytest.raises(InvalidArgument) as info:
        file_part(source, policy)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_local_pdf_is_a_data_url_file_part(tmp_path, policy):
    """A PDF is recognised by its bytes and sent whole as a data URL under its own name."""
    (tmp_path / "report.pdf").write_bytes(PDF)
    part = file_part("report.pdf", policy)
    assert part["file"]["filename"] == "report.pdf"
    assert base64.b64decode(part["file"]["file_data"].partition(",")[2]) == PDF


def test_base64_and_data_urls_of_pdfs_and_text(policy):
    """Raw base64 and data: URLs are decoded; a PDF stays a file part, UTF-8 text is inlined."""
    encoded = base64.b64encode(PDF * 3).decode()
    assert file_part(encoded, policy)["type"] == "file"
    assert file_part("data:application/pdf;base64," + encoded, policy)["file"]["filename"] == "document.pdf"
    text = file_part("data:text/plain;base64," + base64.b64encode("héllo".encode()).decode(), policy)
    assert text == {"type": "text", "text": '<file name="document">\nhéllo\n</file>'}


def test_parts_keep_their_order_and_count_pdfs(tmp_path, policy):
    """file_parts returns one part per source, in order, and how many are PDFs."""
    (tmp_path / "a.pdf").write_bytes(PDF)
    (tmp_path / "b.csv").write_text("x,y\n1,2\n")
    out = file_parts(["a.pdf", "b.csv", "https://example.org/c.pdf"], policy)
    assert [p["type"] for p in out.parts] == ["file", "text", "file"] and out.pdfs == 2


@pytest.mark.parametrize(
    ("make", "source", "expected"),
    [
        (None, "/etc/hostname", "outside the allowed folders"),
        (None, "../escape.pdf", "outside the allowed folders"),
        (lambda p: (p / "big.pdf").write_bytes(PDF + b"0" * 5000), "big.pdf", "over the 4,096 bytes limit"),
        (lambda p: (p / "long.txt").write_text("x" * 101), "long.txt", "over the 100 inlined"),
        (lambda p: (p / "pic.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00"), "pic.bin", "neither a PDF nor UTF-8"),
        (lambda p: os.mkfifo(p / "pipe.txt"), "pipe.txt", "is not a regular file"),
        (None, "ftp://example.org/a.pdf", "File URL scheme 'ftp://' is not allowed"),
        (None, "https://example.org/notes.md", "is a text file, which is not fetched"),
        (None, "data:image/png;base64,iVBORw0KGgo=", "pass it in 'images' instead"),
        (None, "data:application/pdf,%PDF", "is not base64-encoded"),
        (None, "   ", "Empty file source"),
    ],
)
def test_bad_sources_are_refused(tmp_path, policy, make, source, expected):
    """Outside the roots, over a cap, binary, special files, other schemes, unfetched text and images: refused."""
    if make is not None:
        make(tmp_path)
    assert expected in error(source, policy)


def test_at_most_ten_files_and_the_index_is_named(tmp_path, policy):
    """Too many files are refused at once; a bad file's error names its position."""
    with pytest.raises(InvalidArgument, match=f"at most {MAX_FILES}"):
        file_parts(["a.pdf"] * (MAX_FILES + 1), policy)
    with pytest.raises(InvalidArgument, match=r"^files\[1\]: No file at"):
        file_parts(["https://example.org/a.pdf", "missing.pdf"], policy)


def test_files_follow_the_image_roots_and_cap(tmp_path):
    """The file policy is the image policy's roots and byte cap (ORCOLLECTIVE_IMAGE_ROOTS)."""
    policy = file_policy(ImagePolicy(allowed_roots=(tmp_path,), max_bytes=1234))
    assert policy.allowed_roots == (tmp_path.resolve(),) and policy.max_bytes == 1234


def test_file_roots_has_a_name_of_its_own_and_the_image_name_still_works(tmp_path, monkeypatch):
    """ORCOLLECTIVE_FILE_ROOTS sets the allowed folders; the older ORCOLLECTIVE_IMAGE_ROOTS keeps working."""
    from orcollective.settings import Settings

    for name in ("ORCOLLECTIVE_FILE_ROOTS", "ORCOLLECTIVE_IMAGE_ROOTS"):
        monkeypatch.delenv("ORCOLLECTIVE_FILE_ROOTS", raising=False)
        monkeypatch.delenv("ORCOLLECTIVE_IMAGE_ROOTS", raising=False)
        monkeypatch.setenv(name, f"{tmp_path},/srv/docs")
        assert Settings(_env_file=None).image_roots == [str(tmp_path), "/srv/docs"]
