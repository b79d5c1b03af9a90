"""Generate the profile reference (README) from the model itself, so docs and code never drift."""

from __future__ import annotations

import enum
import json
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from daemon.config.profile import Profile


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _submodel(arg)
        if found is not None:
            return found
    return None


_ROOT = str(Path(__file__).resolve().parents[2]) + "/"
_PLAIN = {
    "HttpUrl": "URL",
    "WebsocketUrl": "URL",
    "Path": "path",
    "str": "text",
    "int": "integer",
    "float": "number",
    "bool": "true/false",
}


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " / ".join(f"`{a}`" for a in args)
    if origin in (types.UnionType, typing.Union):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" (optional)" if type(None) in args else "")
    if origin in (list, tuple):
        inner = ", ".join(_type_name(a) for a in args if a is not Ellipsis)
        return f"{origin.__name__} of {inner}"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "emotion" if annotation.__name__ == "Emotion" else annotation.__name__
    name = getattr(annotation, "__name__", str(annotation))
    return _PLAIN.get(name, name)


def _bounds(info: FieldInfo) -> str:
    parts = []
    for meta in info.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"), ("multiple_of", "multiple of")):
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{sign} {value}")
        if getattr(meta, "max_length", None) is not None:
            parts.append(f"max {meta.max_length} items/chars")
    return ", ".join(parts)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return ""
    if isinstance(value, str) and value.startswith(_ROOT):
        value = value[len(_ROOT) :]  # bundled files: shown relative to the project
    try:
        return f"`{json.dumps(value, default=str, ensure_ascii=False)}`"
    except TypeError:
        return f"`{value}`"


def _rows(model: type[BaseModel], prefix: str, list_item: bool = False) -> list[str]:
    rows: list[str] = []
    for name, info in model.model_fields.items():
        dotted = f"{prefix}{'[]' if list_item else ''}.{name}" if prefix else name
        sub = _submodel(info.annotation)
        if sub is not None:
            is_list = "list[" in str(info.annotation)
            rows.extend(_rows(sub, dotted, list_item=is_list))
            continue
        is_file = any("_resolve" in repr(meta) for meta in info.metadata) or "_resolve" in str(info.annotation)
        kind = "file (must exist)" if is_file else _type_name(info.annotation)
        if is_file and not info.is_required() and info.get_default() is None:
            kind += " (optional)"
        desc = (info.description or "").replace("|", "\\|")
        rows.append(f"| `{dotted}` | {kind} | {_default(info)} | {_bounds(info)} | {desc} |")
    return rows


def profile_reference() -> str:
    """Markdown tables, one per profile section."""
    out = []
    for section, info in Profile.model_fields.items():
        sub = _submodel(info.annotation)
        assert sub is not None
        out.append(f"#### `[{section}]`: {info.description}\n")
        out.append("| key | type | default | bounds | meaning |\n|---|---|---|---|---|")
        out.extend(_rows(sub, section))
        out.append("")
    return "\n".join(out)


START, END = "<!-- profile-reference:start -->", "<!-- profile-reference:end -->"


def update_readme(path: str) -> bool:
    """Rewrite the reference between the README's markers; True when it changed."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{profile_reference()}{END}{tail}"
    if new != text:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(new)
    return new != text


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        print("updated" if update_readme(sys.argv[2]) else "up to date")
    else:
        print(profile_reference())
