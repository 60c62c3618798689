import base64
import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from orcollective.errors import InvalidArgument
from orcollective.inputs import MAX_IMAGES, ImagePolicy, image_part, image_parts, load_images


def save(path: Path, size=(40, 20), fmt="PNG", mode="RGB", **options) -> Path:
    Image.new(mode, size, "red").save(path, format=fmt, **options)
    return path


def encoded(size=(40, 20), fmt="PNG", mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "red").save(buffer, format=fmt)
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` 1-bit pixels but holds no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    chunks = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def opened(part: dict) -> tuple[str, bytes, Image.Image]:
    """The MIME type, bytes and Pillow image inside a data-URL part."""
    assert part["type"] == "image_url"
    header, _, payload = part["image_url"]["url"].partition(",")
    assert header.startswith("data:") and header.endswith(";base64")
    data = base64.b64decode(payload, validate=True)
    return header[5:-7], data, Image.open(io.BytesIO(data))


def error(source: str, policy: ImagePolicy) -> str:
    with pytest.raises(InvalidArgument) as info:
        image_part(source, policy)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300
    return message


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def policy(root: Path) -> ImagePolicy:
    return ImagePolicy(allowed_roots=(root,))


def test_png_file_sent_unchanged(root, policy):
    """A small PNG inside the root becomes a data URL holding the same bytes."""
    path = save(root / "cat.png")
    mime, data, image = opened(image_part(str(path), policy))
    assert (mime, image.format, image.size) == ("image/png", "PNG", (40, 20))
    assert data == path.read_bytes()


def test_jpeg_file_keeps_jpeg_mime(root, policy):
    """A JPEG is sent as image/jpeg."""
    mime, _, image = opened(image_part(str(save(root / "a.jpg", fmt="JPEG")), policy))
    assert (mime, image.format, image.size) == ("image/jpeg", "JPEG", (40, 20))


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [("BMP", "RGB"), ("TIFF", "CMYK"), ("TIFF", "RGBA"), ("TIFF", "I"), ("TIFF", "F"), ("TIFF", "I;16")],
)
def test_unaccepted_formats_converted_to_png(root, policy, fmt, mode):
    """BMP and TIFF, in any mode (CMYK, alpha, 16/32-bit, float), are converted to PNG of the same size."""
    path = save(root / "a.img", fmt=fmt, mode=mode)
    mime, _, image = opened(image_part(str(path), policy))
    assert (mime, image.format, image.size) == ("image/png", "PNG", (40, 20))


def test_camera_mpo_becomes_jpeg(root, policy):
    """A multi-picture JPEG from a camera is re-encoded as a plain JPEG."""
    path = root / "photo.jpg"
    Image.new("RGB", (40, 20)).save(path, "MPO", save_all=True, append_images=[Image.new("RGB", (40, 20))])
    mime, _, image = opened(image_part(str(path), policy))
    assert (mime, image.format) == ("image/jpeg", "JPEG")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_large_image_downscaled_keeping_aspect_and_format(root, fmt):
    """An image over max_side is shrunk to fit, keeping its aspect ratio and accepted format."""
    path = save(root / "wide", size=(1000, 500), fmt=fmt)
    mime, _, image = opened(image_part(str(path), ImagePolicy((root,), max_side=256)))
    assert (mime, image.format, image.size) == (f"image/{fmt.lower()}", fmt, (256, 128))


def test_downscale_applies_exif_rotation(root):
    """A re-encoded JPEG has its EXIF orientation applied to the pixels (EXIF itself is dropped)."""
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise
    path = save(root / "phone.jpg", size=(600, 200), fmt="JPEG", exif=exif)
    _, _, image = opened(image_part(str(path), ImagePolicy((root,), max_side=300)))
    assert image.size == (100, 300)


def test_relative_path_starts_at_first_root(root, tmp_path):
    """A relative path is looked up under the first allowed root."""
    other = tmp_path / "other"
    other.mkdir()
    (root / "sub").mkdir()
    save(root / "sub" / "x.png")
    _, _, image = opened(image_part("sub/x.png", ImagePolicy((root, other))))
    assert image.size == (40, 20)


def test_absolute_path_in_second_root_allowed(root, tmp_path):
    """An absolute path inside any allowed root is accepted."""
    other = tmp_path / "other"
    other.mkdir()
    path = save(other / "y.png")
    assert opened(image_part(str(path), ImagePolicy((root, other))))[2].size == (40, 20)


def test_home_path_expanded(root, policy, monkeypatch):
    """A ``~`` path is expanded before the root check."""
    monkeypatch.setenv("HOME", str(root))
    save(root / "home.png")
    assert opened(image_part("~/home.png", policy))[2].size == (40, 20)


def test_symlinked_root_resolved(tmp_path):
    """A root given through a symlink still admits the files it points to."""
    real = tmp_path / "real"
    real.mkdir()
    save(real / "z.png")
    (tmp_path / "link").symlink_to(real)
    policy = ImagePolicy((tmp_path / "link",))
    assert policy.allowed_roots == (real.resolve(),)
    assert opened(image_part(str(tmp_path / "link" / "z.png"), policy))[2].size == (40, 20)


def test_symlink_escaping_root_refused(root, policy, tmp_path):
    """A symlink inside the root that points outside it is refused."""
    outside = save(tmp_path / "secret.png")
    (root / "escape.png").symlink_to(outside)
    message = error(str(root / "escape.png"), policy)
    assert "outside the allowed folders" in message and "ORCOLLECTIVE_IMAGE_ROOTS" in message


@pytest.mark.parametrize("source", ["../secret.png", "sub/../../secret.png", "{root}/../secret.png"])
def test_dotdot_traversal_refused(root, policy, tmp_path, source):
    """``..`` cannot climb out of the root, relative or absolute."""
    save(tmp_path / "secret.png")
    message = error(source.format(root=root), policy)
    assert f"outside the allowed folders ({root.resolve()})" in message


def test_outside_path_refused_before_existence_check(policy):
    """A missing path outside the roots gets the same answer as an existing one."""
    assert "outside the allowed folders" in error("/no/such/dir/x.png", policy)


def test_no_roots_refuses_every_path(root):
    """With no allowed roots, every local path is refused."""
    save(root / "a.png")
    assert "allowed folders (none)" in error(str(root / "a.png"), ImagePolicy(()))


def test_pixel_cap_checked_before_decoding(root, policy):
    """A header claiming 8000x8000 pixels is refused before any pixel is decoded."""
    (root / "bomb.png").write_bytes(png_header(8000, 8000))
    assert "decompression-bomb guard" in error(str(root / "bomb.png"), policy)


def test_huge_header_refused_as_bomb(root, policy):
    """A header past Pillow's own bomb limit gets the same pixel-cap message."""
    (root / "bomb.png").write_bytes(png_header(100_000, 100_000))
    assert "more than 40,000,000 pixels" in error(str(root / "bomb.png"), policy)


def test_pixel_cap_leaves_pillow_global_alone(root):
    """The per-policy pixel cap does not change Image.MAX_IMAGE_PIXELS."""
    before = Image.MAX_IMAGE_PIXELS
    save(root / "a.png", size=(100, 100))
    error(str(root / "a.png"), ImagePolicy((root,), max_pixels=5_000))
    assert Image.MAX_IMAGE_PIXELS == before


def test_data_url_round_trip(policy):
    """A data URL comes back with the same image; its MIME type is taken from the content."""
    data = encoded((30, 10), "JPEG")
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    mime, out, image = opened(image_part(url, policy))
    assert (mime, image.format, image.size, out) == ("image/jpeg", "JPEG", (30, 10), data)


def test_data_url_bmp_converted(policy):
    """A BMP data URL is converted to PNG."""
    url = "data:image/bmp;base64," + base64.b64encode(encoded(fmt="BMP")).decode()
    mime, _, image = opened(image_part(url, policy))
    assert (mime, image.format, image.size) == ("image/png", "PNG", (40, 20))


def test_raw_base64_accepted(policy):
    """Raw base64, standard or URL-safe without padding, becomes a data URL."""
    data = encoded((33, 17), "GIF")
    for text in (base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode().rstrip("=")):
        mime, out, image = opened(image_part(text, policy))
        assert (mime, image.size, out) == ("image/gif", (33, 17), data)


@pytest.mark.parametrize(
    "url",
    [
        "https://upload.wikimedia.org/x.jpg",
        "http://example.com:8080/a.png?size=large&v=2#frag",
        "HTTPS://Example.COM/a.webp",
        "http://[2001:db8::1]/a.png",
        "https://bücher.de/bild.png",
    ],
)
def test_http_urls_passed_through(policy, url):
    """http(s) URLs are returned unchanged and never fetched."""
    assert image_part(url, policy) == {"type": "image_url", "image_url": {"url": url}}


def test_image_parts_keeps_order(root, policy):
    """image_parts returns one part per source, in order."""
    save(root / "a.png")
    parts = image_parts(["https://example.com/1.png", "a.png"], policy)
    assert parts[0]["image_url"]["url"] == "https://example.com/1.png"
    assert opened(parts[1])[0] == "image/png"


def test_image_parts_names_failing_index(policy):
    """The error from image_parts says which image was wrong."""
    with pytest.raises(InvalidArgument, match=r"^images\[1\]: .*file://"):
        image_parts(["https://example.com/1.png", "file:///etc/passwd"], policy)


def test_too_many_images_refused_before_reading(policy):
    """More than MAX_IMAGES sources are refused without looking at any of them."""
    with pytest.raises(InvalidArgument, match="send fewer images"):
        image_parts(["missing.png"] * (MAX_IMAGES + 1), policy)


BIG = base64.b64encode(b"\x00" * 3_000_000).decode()


@pytest.mark.parametrize(
    ("make_source", "hint"),
    [
        (lambda r: "file:///etc/passwd", "use an http(s) URL"),
        (lambda r: "ftp://example.com/a.png", "use an http(s) URL"),
        (lambda r: "http:///a.png", "full http(s)://host/path URL"),
        (lambda r: "https://-bad-.example/a.png", "full http(s)://host/path URL"),
        (lambda r: "https://example.com:99999/a.png", "full http(s)://host/path URL"),
        (lambda r: "https://example.com/a b.png", "percent-encode"),
        (lambda r: "   ", "pass a file path"),
        (lambda r: "missing.png", "check the path (relative paths start at /"),
        (lambda r: str(r), "pass an image file"),
        (lambda r: "data:image/png,abc", "use data:image/png;base64,<data>"),
        (lambda r: "data:application/pdf;base64,JVBERi0x", "pass a data:image/... URL"),
        (lambda r: "data:image/png;base64,%%%notbase64%%%", "not valid base64; pass a file path"),
        (lambda r: "data:image/png;base64," + BIG, "not a readable image; pass a PNG, JPEG"),
        (lambda r: BIG, "not a readable image; pass a PNG, JPEG"),
        (lambda r: "x" * 2000 + "!", "not valid base64"),
    ],
)
def test_errors_are_one_line_with_fix(root, policy, make_source, hint):
    """Every refusal is one short line that names the fix and never echoes the input at length."""
    assert hint in error(make_source(root), policy)


def test_text_file_is_not_an_image(root, policy):
    """A non-image file with an image extension is refused."""
    (root / "notes.png").write_text("hello")
    assert "not a readable image" in error(str(root / "notes.png"), policy)


def test_truncated_image_refused(root, policy):
    """An image cut short is refused rather than sent half-decoded."""
    data = encoded((200, 200), "JPEG")
    (root / "cut.jpg").write_bytes(data[: len(data) // 2])
    assert "not a readable image" in error(str(root / "cut.jpg"), policy)


def test_formats_outside_allowlist_refused(root, policy):
    """Formats Pillow could read through outside programs (EPS) are not even tried."""
    (root / "a.eps").write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n")
    assert "not a readable image" in error(str(root / "a.eps"), policy)


def test_file_over_byte_cap_refused(root):
    """A file larger than max_bytes is refused before it is read."""
    save(root / "a.png", size=(100, 100))
    message = error(str(root / "a.png"), ImagePolicy((root,), max_bytes=100))
    assert "over the 100 bytes limit; pass a smaller" in message


def test_base64_over_byte_cap_refused(policy):
    """Base64 data larger than max_bytes is refused before decoding, without echoing it."""
    message = error(BIG, ImagePolicy(policy.allowed_roots, max_bytes=1024 * 1024))
    assert "is 2.9 MB, over the 1.0 MB limit; pass a smaller" in message


def test_a_fifo_is_refused_without_blocking(root, policy):
    """A named pipe in place of an image is refused at once (opened non-blocking, checked by fstat)."""
    fifo = root / "cat.png"
    os.mkfifo(fifo)
    assert "not a regular file" in error(str(fifo), policy)


def test_a_file_name_too_long_for_the_os_is_one_line(root, policy):
    """A 300-character file name (ENAMETOOLONG) is a clear error, not a crash."""
    assert "cat" in error("cat" * 100 + ".png", policy)


async def test_images_load_off_the_event_loop(root, policy):
    """load_images decodes on a worker thread: a ticker on the loop keeps running meanwhile."""
    import asyncio

    path = save(root / "big.png", size=(3000, 3000))
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        parts = await load_images([str(path)] * 3, policy)
    finally:
        task.cancel()
    assert len(parts) == 3 and ticks > 3
