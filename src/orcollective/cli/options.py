"""A feature's Request model as Typer parameters: positional arguments, options and flags, written once.

Each field becomes ``--field-name`` (or the name the feature's ``Cli`` gives it); Literals become
choices, ``list[str]`` a repeatable option, ``bool`` a ``--x/--no-x`` switch. Fields that are objects
(messages, routing dicts) are left to the MCP tool.
"""

from __future__ import annotations

import inspect
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import typer
from pydantic.fields import FieldInfo

from ..features import Feature

SIMPLE = (str, int, float, bool)


def flag_names(feature: Feature) -> dict[str, str]:
    """Field name -> the flag (or argument) a person types, for error messages."""
    cli = feature.cli
    names = {}
    for name in feature.request.model_fields:
        if cli is not None and name in cli.arguments:
            names[name] = name.upper()
        else:
            names[name] = _decls(feature, name)[0]
    return names


def parameters(feature: Feature) -> list[inspect.Parameter]:
    """One ``inspect.Parameter`` per field the command line offers, arguments first."""
    cli = feature.cli
    assert cli is not None
    fields = feature.request.model_fields
    offered = [n for n, f in fields.items() if n not in cli.hidden and _cli_type(f) is not None]
    ordered = [n for n in cli.arguments if n in offered] + [n for n in offered if n not in cli.arguments]
    params = []
    for name in ordered:
        field = fields[name]
        base = _cli_type(field)
        help_text = field.description
        if name in cli.arguments:
            info: Any = typer.Argument(help=help_text, show_default=False)
            default: Any = inspect.Parameter.empty if field.is_required() else None
            annotation: Any = base if default is inspect.Parameter.empty else base | None
        else:
            decls = _decls(feature, name)
            if base is bool:
                decls = [f"{decls[0]}/--no-{decls[0][2:]}", *decls[1:]]
            info = typer.Option(*decls, help=help_text)
            default = None
            annotation = base | None
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                        annotation=Annotated[annotation, info]))  # fmt: skip
    return params


def _decls(feature: Feature, name: str) -> list[str]:
    spelled = feature.cli.flags.get(name) if feature.cli is not None else None
    return spelled.split("/") if spelled else ["--" + name.replace("_", "-")]


def _cli_type(field: FieldInfo) -> Any:
    """The type Typer parses the option as, or None when the field cannot be typed on a command line."""
    annotation = _plain(_strip_none(field.annotation))
    if get_origin(annotation) is Literal or annotation in SIMPLE:
        return annotation
    if get_origin(annotation) is list and [_plain(a) for a in get_args(annotation)] == [str]:
        return list[str]
    return None


def _plain(annotation: Any) -> Any:
    """``Annotated[str, validator]`` -> ``str``: the command line parses the type; the model validates."""
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _strip_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation
