"""The tools' input and output schemas, worked out once per build of the package and kept in the cache
folder: generating them from the Request and Result models is most of what building the server costs, and
a client starts the server for every session.

The file is named by a fingerprint of this package's source and pydantic's version, so any change to a
model (or an upgrade) makes a new one; a missing, unreadable or damaged file is simply worked out again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import pydantic

from ..features import Feature
from ..private import private_dir
from .shaping import compact_schema

log = logging.getLogger(__name__)
PACKAGE = Path(__file__).resolve().parents[1]
Schemas = dict[str, dict[str, dict]]  # tool name -> {"input": schema, "output": schema}


def input_schema(feature: Feature) -> dict:
    """The Request model's schema, compacted. ``additionalProperties: false`` is left out: the model refuses
    unknown names itself, naming the closest valid one, and tools/list stays smaller."""
    schema = compact_schema(feature.request.model_json_schema(), inputs=True)
    schema.pop("additionalProperties", None)
    return schema


def work_out(features: Sequence[Feature]) -> Schemas:
    return {
        f.name: {"input": input_schema(f), "output": compact_schema(f.result.model_json_schema(), inputs=False)}
        for f in features
    }


def fingerprint() -> str:
    """A digest of every source file of this package and of pydantic's version."""
    digest = hashlib.sha256(pydantic.VERSION.encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def tool_schemas(features: Sequence[Feature], cache_dir: Path | None) -> Schemas:
    """Every feature's schemas: from the cache file of this build when it holds them all, else worked out
    (and written there for the next start)."""
    if cache_dir is None:
        return work_out(features)
    try:
        path = cache_dir / f"tool-schemas-{fingerprint()}.json"
    except OSError:
        return work_out(features)
    kept: Schemas = {}
    with contextlib.suppress(OSError, ValueError):
        found = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(found, dict):
            kept = {name: entry for name, entry in found.items() if _pair(entry)}
    missing = [f for f in features if f.name not in kept]
    if not missing:
        return {f.name: kept[f.name] for f in features}
    kept.update(work_out(missing))
    try:
        private_dir(cache_dir)
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(kept), encoding="utf-8")
        os.replace(partial, path)
        for old in cache_dir.glob("tool-schemas-*.json"):
            if old != path:
                old.unlink(missing_ok=True)  # an earlier build's
    except OSError as exc:
        log.debug("tool schemas not kept in %s: %s", cache_dir, exc.strerror)
    return {f.name: kept[f.name] for f in features}


def _pair(entry: object) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("input"), dict) and isinstance(entry.get("output"), dict)
