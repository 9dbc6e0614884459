"""How values, sizes and offsets are written in every report and in the TUI."""

from __future__ import annotations

from vmdiff.model import Field, FieldValue

_SIGNED_PREFIXES = ("int", "timer")
_EXCERPT = 16


def format_value(type_name: str, value: FieldValue, *, limit: int = _EXCERPT) -> str:
    """A field value as one short line: hex for unsigned integers, bytes as an excerpt."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if type_name.startswith(_SIGNED_PREFIXES) or -10 < value < 10:
            return str(value)
        return f"{value:#x}"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(format_value(type_name, v) for v in value) + "]"
    return format_bytes(value, limit=limit)


def format_bytes(data: bytes, *, limit: int = _EXCERPT) -> str:
    """``N bytes: hex…``, or ``N zero bytes`` when they are all zero."""
    if not data.strip(b"\0"):
        return f"{len(data)} zero bytes"
    excerpt = data[:limit].hex(" ")
    more = "…" if len(data) > limit else ""
    return f"{len(data)} bytes: {excerpt}{more}"


def format_field(field: Field, *, limit: int = _EXCERPT) -> str:
    """A field's value, folding arrays of scalars onto one line."""
    if (
        field.children
        and all(not c.children for c in field.children)
        and field.type_name
        not in (
            "struct",
            "tmp",
        )
    ):
        shown = field.children[:limit]
        text = ", ".join(format_value(c.type_name, c.value) for c in shown)
        more = f", … ({len(field.children)} in all)" if len(field.children) > limit else ""
        return f"[{text}{more}]"
    return format_value(field.type_name, field.value, limit=limit)


def format_size(size: int) -> str:
    """Bytes in the largest binary unit that keeps an integer or one decimal."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            amount = size / scale
            return f"{amount:.0f} {unit}" if amount == int(amount) else f"{amount:.1f} {unit}"
    return f"{size} B"


def json_value(value: FieldValue) -> object:
    """A field value as JSON: bytes become a hex string, tuples lists."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float) and value != value:
        return None
    return value
