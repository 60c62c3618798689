"""The package keeps the layers of design.md: imports flow one way, modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "orcollective"
# A module may import its own layer and the layers below it (a higher rank imports a lower one).
RANK = {
    "errors": 0, "settings": 0, "private": 0,
    "openrouter": 1,
    "catalog": 2, "store": 2, "inputs": 2,
    "collective": 3, "runtime": 3,
    "features": 4,
    "mcp": 5,
    "cli": 6,
}  # fmt: skip
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def layer_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported_layers(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package part) of every import of our own package in ``path``."""
    parts = path.relative_to(PACKAGE).parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(parts[: len(parts) - node.level + 1])
            target = [*base, *(node.module or "").split(".")] if node.module else base
            if target and target[0]:
                found.append((node.lineno, target[0]))
            elif not node.module:  # ``from . import x`` at the package root
                found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("orcollective."):
            found.append((node.lineno, node.module.split(".")[1]))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name.split(".")[1]) for a in node.names if a.name.startswith("orcollective."))
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_one_way(path: Path) -> None:
    """No module imports a layer above its own; collective never sees runtime or features; only the CLI
    reaches for the simulator."""
    me = layer_of(path)
    for line, target in imported_layers(path):
        if target == me or target == "__init__":
            continue
        where = f"{path.relative_to(PACKAGE)}:{line} ({me}) imports {target}"
        if target == "simulator":
            assert me in ("cli", "simulator"), where
            continue
        if me in RANK and target in RANK:
            assert RANK[target] < RANK[me] or (RANK[target] == RANK[me] and me not in ("collective",)), where
            if me == "collective":
                assert target not in ("runtime", "features"), where


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small_and_keep_no_global_state(path: Path) -> None:
    """Every module is under 400 lines and rebinds no module global."""
    source = path.read_text()
    assert len(source.splitlines()) <= 400, f"{path.name} has {len(source.splitlines())} lines: split it by noun"
    assert not any(isinstance(node, ast.Global) for node in ast.walk(ast.parse(source))), path.name


def test_the_layers_exist() -> None:
    """Each layer of design.md is a package (or a base module) of its own."""
    for name in ("openrouter", "catalog", "store", "inputs", "collective", "features", "mcp", "cli", "simulator"):
        assert (PACKAGE / name / "__init__.py").exists(), name
    for name in ("settings.py", "errors.py", "runtime.py"):
        assert (PACKAGE / name).exists(), name
