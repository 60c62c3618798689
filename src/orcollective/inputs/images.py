"""Image inputs for chat: a local path, an http(s) URL, a data URL or raw base64 -> an ``image_url`` part.

URLs pass through unchanged (never fetched here). Everything else is read under the policy's limits,
checked with Pillow, converted to PNG when the format is not one the API accepts (png, jpeg, webp,
gif), downscaled above ``max_side`` and sent as a ``data:`` URL.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import ipaddress
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import InvalidArgument

if TYPE_CHECKING:
    from PIL import Image

MAX_IMAGES = 10

# Formats the API accepts as they are, by Pillow format name.
_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
# Formats Pillow may identify at all: the accepted ones plus a few common ones we convert. Keeping
# the list short keeps Pillow away from plugins that call out to other programs (EPS -> Ghostscript).
_READABLE = (*_MIME, "BMP", "TIFF", "ICO", "PPM")
# Modes each re-encode target can store; other modes are converted to RGB(A) first.
_SAVE_MODES = {"JPEG": ("L", "RGB", "CMYK"), "PNG": ("1", "L", "LA", "P", "RGB", "RGBA", "I;16")}
_SAVE_OPTIONS: dict[str, dict] = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}}
# Unaccepted formats become PNG, except MPO (a camera JPEG with extra frames), which stays a JPEG.
_CONVERT_TO = {"MPO": "JPEG"}

_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2}")
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_HINT = "pass a file path, an http(s) URL or a data:image/...;base64, URL"


@dataclass(frozen=True)
class ImagePolicy:
    """Where local images may be read from, and the size limits every image must meet."""

    allowed_roots: tuple[Path, ...]
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_side: int = 2048

    def __post_init__(self) -> None:
        # Containment is checked on resolved paths, so the roots are resolved the same way.
        roots = tuple(Path(root).expanduser().resolve() for root in self.allowed_roots)
        object.__setattr__(self, "allowed_roots", roots)


async def load_images(sources: Sequence[str], policy: ImagePolicy) -> list[dict]:
    """``image_parts`` on a worker thread: reading files and decoding pixels never block the event loop."""
    return await asyncio.to_thread(image_parts, sources, policy)


def image_parts(sources: Sequence[str], policy: ImagePolicy) -> list[dict]:
    """Every source as an ``image_url`` content part, in order; the first bad one raises."""
    if len(sources) > MAX_IMAGES:
        raise InvalidArgument(f"{len(sources)} images given, at most {MAX_IMAGES}; send fewer images per call.")
    parts = []
    for index, source in enumerate(sources):
        try:
            parts.append(image_part(source, policy))
        except InvalidArgument as exc:
            raise InvalidArgument(f"images[{index}]: {exc}") from exc
    return parts


def image_part(source: str, policy: ImagePolicy) -> dict:
    """One image as ``{"type": "image_url", "image_url": {"url": ...}}``.

    ``source`` is an http(s) URL, a ``data:`` URL, raw base64 (64+ characters of the base64 alphabet,
    or any non-URL over 1024 characters), or else a path: absolute, ``~``, or relative to the first
    allowed root.
    """
    if not isinstance(source, str) or not source.strip():
        raise InvalidArgument(f"Empty image source; {_HINT}.")
    text = source.strip()
    if text[:5].lower() == "data:":
        url = _from_data_url(text, policy)
    elif _URL_SCHEME.match(text):
        url = checked_url(text)
    elif looks_like_base64(text):
        label = f"base64 data '{_short(text)}'"
        url = _to_data_url(decode_base64(text, label, policy.max_bytes), label, policy)
    else:
        url = _to_data_url(read_local(text, policy.allowed_roots, policy.max_bytes), f"'{_short(text)}'", policy)
    return {"type": "image_url", "image_url": {"url": url}}


def _short(text: str, limit: int = 40) -> str:
    """``text`` on one line, cut in the middle to about ``limit`` characters."""
    flat = " ".join((text if len(text) <= 400 else text[:200] + text[-200:]).split())
    if len(flat) <= limit:
        return flat
    half = (limit - 3) // 2
    return f"{flat[:half]}...{flat[-half:]}"


def checked_url(url: str, noun: str = "Image") -> str:
    """An http(s) URL with a well-formed host, unchanged; any other scheme is refused."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise InvalidArgument(
            f"{noun} URL '{_short(url)}' does not parse; pass a full http(s)://host/path URL."
        ) from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidArgument(
            f"{noun} URL scheme '{_short(parts.scheme, 12)}://' is not allowed; use an http(s) URL, "
            "a data: URL or a local file path."
        )
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidArgument(f"{noun} URL '{_short(url)}' contains spaces; percent-encode them (%20).")
    try:
        valid = _valid_host(parts.hostname or "") and parts.port != 0
    except ValueError:  # a port that is not a number in 1-65535
        valid = False
    if not valid:
        raise InvalidArgument(f"{noun} URL '{_short(url)}' has no valid host; pass a full http(s)://host/path URL.")
    return url


def _valid_host(host: str) -> bool:
    """A DNS name (IDN allowed) or an IP literal."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").rstrip(".")
    except UnicodeError:
        return False
    labels = ascii_host.split(".")
    return 0 < len(ascii_host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)


def looks_like_base64(text: str) -> bool:
    # No real path is over 1024 characters, so such a string can only be meant as image data.
    compact = "".join(text.split())
    return len(text) > 1024 or (len(compact) >= 64 and _B64.fullmatch(compact) is not None)


def decode_base64(text: str, label: str, max_bytes: int, noun: str = "Image", hint: str = _HINT) -> bytes:
    """The bytes in a base64 string (standard or URL-safe, padding optional) within ``max_bytes``."""
    compact = "".join(text.split())
    if len(compact) * 3 // 4 > max_bytes:
        raise too_big(label, len(compact) * 3 // 4, max_bytes, noun)
    bad = InvalidArgument(f"{noun} {label} is not valid base64; {hint}.")
    if not _B64.fullmatch(compact) or len(compact) % 4 == 1:
        raise bad
    altchars = b"-_" if "-" in compact or "_" in compact else None
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=altchars, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise bad from exc


def split_data_url(url: str, noun: str = "Image", example: str = "image/png") -> tuple[str, str, str]:
    """(MIME type, base64 payload, a label to quote) of a ``data:<type>;base64,<payload>`` URL."""
    header, comma, payload = url.partition(",")
    label = f"data URL '{_short(url)}'"
    params = [p.strip().lower() for p in header[5:].split(";")]
    if not comma or "base64" not in params[1:]:
        raise InvalidArgument(f"{noun} {label} is not base64-encoded; use data:{example};base64,<data>.")
    return params[0], payload, label


def _from_data_url(url: str, policy: ImagePolicy) -> str:
    """A ``data:image/...;base64,`` URL checked and normalised; the MIME type comes from the content."""
    mime, payload, label = split_data_url(url)
    if mime and not mime.startswith("image/"):
        raise InvalidArgument(f"Image {label} has type '{_short(mime, 30)}', not an image; pass a data:image/... URL.")
    return _to_data_url(decode_base64(payload, label, policy.max_bytes), label, policy)


def read_local(
    text: str, roots: tuple[Path, ...], max_bytes: int, noun: str = "Image", setting: str = "ORCOLLECTIVE_IMAGE_ROOTS"
) -> bytes:
    """The bytes of a regular file inside one of ``roots`` (resolved paths), within ``max_bytes``.

    The file is opened non-blocking and checked with fstat on the open descriptor, so a FIFO or device
    swapped in after the path check is refused instead of blocking the read.
    """
    label = f"'{_short(text)}'"
    kind = "file" if noun == "File" else f"{noun.lower()} file"
    path = Path(os.path.expanduser(text))
    if not path.is_absolute() and roots:
        path = roots[0] / path
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise InvalidArgument(f"{noun} path {label} cannot be resolved; check the path.") from exc
    # Checked before existence so paths outside the roots reveal nothing about what exists there.
    if not any(resolved.is_relative_to(root) for root in roots):
        shown = ", ".join(str(root) for root in roots) or "none"
        raise InvalidArgument(
            f"{noun} path {label} is outside the allowed folders ({shown}); move it there or set {setting}."
        )
    try:
        fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError as exc:
        start = f" (relative paths start at {roots[0]})" if roots else ""
        raise InvalidArgument(f"No {kind} at {label}; check the path{start}.") from exc
    except OSError as exc:
        raise InvalidArgument(f"Cannot open {kind} {label} ({exc.strerror}); check the path.") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            article = "an" if noun[0] in "AEIOU" else "a"
            raise InvalidArgument(f"{noun} path {label} is not a regular file; pass {article} {kind}.")
        if info.st_size > max_bytes:
            raise too_big(label, info.st_size, max_bytes, noun)
        chunks, size = [], 0
        # Read one byte past the cap: the file may have grown since fstat().
        while size <= max_bytes and (chunk := os.read(fd, min(1 << 20, max_bytes + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InvalidArgument(f"Cannot read {kind} {label} ({exc.strerror}); check its permissions.") from exc
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise too_big(label, len(data), max_bytes, noun)
    return data


def too_big(label: str, size: int, max_bytes: int, noun: str = "Image") -> InvalidArgument:
    def human(n: int) -> str:
        return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{n:,} bytes"

    return InvalidArgument(
        f"{noun} {label} is {human(size)}, over the {human(max_bytes)} limit; "
        f"pass a smaller or more compressed {noun.lower()}."
    )


def _open_checked(data: bytes, label: str, policy: ImagePolicy) -> Image.Image:
    """``data`` opened, verified and loaded by Pillow, refusing it before decoding if over ``max_pixels``."""
    from PIL import Image  # Pillow loads with the first image, not with the server

    too_many = InvalidArgument(
        f"Image {label} has more than {policy.max_pixels:,} pixels (decompression-bomb guard); "
        "resize it before sending."
    )
    try:
        with Image.open(io.BytesIO(data), formats=_READABLE) as probe:
            width, height = probe.size
            if width * height > policy.max_pixels:
                raise too_many
            probe.verify()
        image = Image.open(io.BytesIO(data), formats=_READABLE)
        image.load()
    except InvalidArgument:
        raise
    except Image.DecompressionBombError as exc:
        raise too_many from exc
    # Pillow's decoders raise many exception types on malformed input; each means "not an image".
    except Exception as exc:
        raise InvalidArgument(
            f"Image {label} is not a readable image; pass a PNG, JPEG, WebP or GIF (BMP and TIFF are converted)."
        ) from exc
    return image


def _to_data_url(data: bytes, label: str, policy: ImagePolicy) -> str:
    """A data URL for image bytes: as they are when accepted and small enough, else re-encoded."""
    from PIL import Image, ImageOps

    with _open_checked(data, label, policy) as image:
        source_format = image.format or ""
        if source_format in _MIME and max(image.size) <= policy.max_side:
            return _data_url(_MIME[source_format], data)
        target = source_format if source_format in _MIME else _CONVERT_TO.get(source_format, "PNG")
        try:
            # Re-encoding drops EXIF, so the orientation it records is applied to the pixels first.
            out = ImageOps.exif_transpose(image)
            if max(out.size) > policy.max_side:
                out.thumbnail((policy.max_side, policy.max_side), Image.Resampling.LANCZOS)
            modes = _SAVE_MODES.get(target)
            if modes and out.mode not in modes:
                out = out.convert("RGBA" if target == "PNG" and out.has_transparency_data else "RGB")
            buffer = io.BytesIO()
            out.save(buffer, format=target, **_SAVE_OPTIONS.get(target, {}))
        # As when opening: Pillow raises many exception types (EXIF parsing, mode conversion).
        except Exception as exc:
            raise InvalidArgument(
                f"Image {label} ({source_format}, mode {image.mode}) could not be converted to {target}; "
                "save it as PNG or JPEG and try again."
            ) from exc
        return _data_url(_MIME[target], buffer.getvalue())


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
