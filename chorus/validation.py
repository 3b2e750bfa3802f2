"""One-line explanations of pydantic validation errors, for settings and sidecars alike.

A :class:`pydantic.ValidationError` lists every problem over several lines with links; people who
misspelt one key need one line: the dotted key, what is wrong, and the key they probably meant.
"""
from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

__all__ = ["describe_validation_error", "closest_key"]


def describe_validation_error(exc: ValidationError, model: type[BaseModel], noun: str = "setting") -> tuple[tuple, str]:
    """The first problem of ``exc`` as ``(location, one line)``, e.g. ``"publish.buckt"`` with a suggestion.

    >>> from pydantic import ConfigDict
    >>> class Publish(BaseModel):
    ...     model_config = ConfigDict(extra="forbid")
    ...     bucket: str = "podcasts"
    >>> try:
    ...     Publish.model_validate({"buckt": "x"})
    ... except ValidationError as e:
    ...     describe_validation_error(e, Publish)
    (('buckt',), "unknown setting 'buckt' (did you mean 'bucket'?)")
    """
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(first["loc"])
    key = ".".join(str(p) for p in loc)
    if first["type"] == "extra_forbidden":
        near = closest_key(model, loc)
        text = f"unknown {noun} {key!r}" + (f" (did you mean {'.'.join(map(str, near))!r}?)" if near else "")
    else:
        msg = re.sub(r"^(Value error|Assertion failed), ", "", first["msg"])
        msg = msg[:1].lower() + msg[1:]
        got = first.get("input")
        if first["type"] not in ("value_error", "missing") and isinstance(got, (str, int, float)) and len(repr(got)) < 60:
            msg += f" (got {got!r})"
        text = f"{key}: {msg}" if key else msg
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more)"
    return loc, text


def _submodel(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model inside an annotation, and whether it sits in a container (list/dict: one loc step more)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _submodel(args[0])
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            found = _submodel(arg)
            if found[0] is not None:
                return found
    if origin in (list, dict, tuple) and args:
        return _submodel(args[-1])[0], True
    return None, False


def _keys(model: type[BaseModel]) -> dict[str, type[BaseModel] | None]:
    """Keys a model accepts (field names and aliases) and the model each leads to (nested, not in a container)."""
    out: dict[str, type[BaseModel] | None] = {}
    for name, field in model.model_fields.items():
        sub, container = _submodel(field.annotation)
        aliases = getattr(field.validation_alias, "choices", None) or [field.validation_alias or name]
        for alias in {name, *(a for a in aliases if isinstance(a, str))}:
            out[alias] = None if container else sub
    return out


def closest_key(model: type[BaseModel], loc: tuple) -> tuple | None:
    """The accepted key closest to the unknown ``loc[-1]``: first in its own table, then in any other table."""
    parent: type[BaseModel] | None = model
    steps = list(loc[:-1])
    while steps and parent is not None:
        field = parent.model_fields.get(str(steps.pop(0)))
        sub, container = _submodel(field.annotation) if field else (None, False)
        if container and steps:
            steps.pop(0)
        parent = sub
    name = str(loc[-1])
    if parent is not None:
        close = difflib.get_close_matches(name, list(_keys(parent)), n=1, cutoff=0.6)
        if close:
            return (*loc[:-1], close[0])
    moved = {k: (table, k) for table, sub in _keys(model).items() if sub for k in _keys(sub)}
    close = difflib.get_close_matches(name, list(moved), n=1, cutoff=0.8)
    return moved[close[0]] if close else None
