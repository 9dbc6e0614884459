"""Decode a VMState body with a layout: fields in order, then subsections, each with its span."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from vmdiff.layouts.layout import FieldLayout, StreamLayout, VmsdLayout
from vmdiff.model import Buffer, Field, FieldValue, Span, Subsection

_INT_FORMATS = {
    "int8": ">b",
    "uint8": ">B",
    "int16": ">h",
    "uint16": ">H",
    "int32": ">i",
    "uint32": ">I",
    "int64": ">q",
    "uint64": ">Q",
    "int32 equal": ">i",
    "uint32 equal": ">I",
    "int64 equal": ">Q",  # QEMU's "int64 equal" really compares a uint64
    "uint8 equal": ">B",
    "uint16 equal": ">H",
    "int32 le": ">i",  # "less or equal" to the local value, not little-endian
    "timer": ">q",  # expiry in ns; -1 when not armed
    "CPU_Double_U": ">Q",  # two be32 halves, upper first: the same bytes as a be64
    "int32_as_uint16": ">H",
    "uint16_from_uint8": ">B",
    "float64": ">d",
}
SUBSECTION_TAG = 0x05
NULLPTR_MARKER = 0x30
MAX_LIST_ELEMENTS = 1 << 20


class LayoutMismatch(Exception):
    """The body does not follow the layout at ``offset``: it expected one thing, found another."""

    def __init__(self, offset: int, expected: str, found: str) -> None:
        super().__init__(f"expected {expected}, found {found}")
        self.offset = offset
        self.expected = expected
        self.found = found


SubsectionHeaderReader = Callable[[int], tuple[str, int, int]]


@dataclass(slots=True)
class BodyDecoder:
    """Walks one body of ``buf`` between ``start`` and ``limit`` with a stream's layouts.

    ``read_subsection_header(offset)`` parses a subsection header with the grammar and returns
    (name, version_id, end offset).
    """

    buf: Buffer
    limit: int
    layout: StreamLayout
    read_subsection_header: SubsectionHeaderReader

    def decode(
        self, vmsd: VmsdLayout, start: int, path: str, version_id: int | None = None
    ) -> tuple[tuple[Field, ...], tuple[Subsection, ...], int]:
        """Decode vmsd's fields and then its subsections; return them and the end offset.

        Fields newer than ``version_id`` (the version on the wire) are not sent.
        """
        version = vmsd.version if version_id is None else version_id
        present = tuple(f for f in vmsd.fields if f.version_id <= version)
        fields, pos = self._fields(present, start, path)
        subsections: tuple[Subsection, ...] = ()
        if vmsd.may_have_subsections:
            subsections, pos = self._subsections(vmsd, pos, path)
        return fields, subsections, pos

    def _need(self, pos: int, size: int, what: str) -> None:
        if size < 0 or pos + size > self.limit:
            raise LayoutMismatch(pos, f"{size} bytes for {what}", f"{self.limit - pos} left")

    def _fields(
        self, layouts: tuple[FieldLayout, ...], pos: int, path: str
    ) -> tuple[tuple[Field, ...], int]:
        fields = []
        for layout in layouts:
            field_path = f"{path}/{layout.display_name}"
            if layout.array_len is None:
                decoded, pos = self._element(layout, pos, field_path, layout.display_name)
            else:
                decoded, pos = self._array(layout, pos, field_path)
            fields.append(decoded)
        return tuple(fields), pos

    def _array(self, layout: FieldLayout, start: int, path: str) -> tuple[Field, int]:
        count = layout.array_len or 0
        if layout.vmsd is None and layout.type_name in _INT_FORMATS and count > 0:
            fmt = _INT_FORMATS[layout.type_name]
            width = struct.calcsize(fmt)
            if width == layout.size:
                self._need(start, width * count, f"array {layout.name}")
                values = struct.unpack_from(f">{count}{fmt[1]}", self.buf, start)
                end = start + width * count
                children = tuple(
                    Field(
                        name=f"{layout.name}[{i}]",
                        path=f"{path}[{i}]",
                        span=Span(start + i * width, start + (i + 1) * width),
                        type_name=layout.type_name,
                        value=value,
                    )
                    for i, value in enumerate(values)
                )
                return Field(
                    layout.name, path, Span(start, end), layout.type_name, None, children
                ), end
        if count > MAX_LIST_ELEMENTS or count > self.limit - start:
            # Never let a layout's count drive memory: no element is shorter than a byte
            # (short of empty structs, which no real vmsd repeats this often).
            raise LayoutMismatch(start, f"at most {self.limit - start} elements", f"{count}")
        pos = start
        elements = []
        for i in range(count):
            element, pos = self._element(layout, pos, f"{path}[{i}]", f"{layout.name}[{i}]")
            elements.append(element)
        return Field(
            layout.name, path, Span(start, pos), layout.type_name, None, tuple(elements)
        ), pos

    def _element(self, layout: FieldLayout, start: int, path: str, name: str) -> tuple[Field, int]:
        type_name = layout.type_name
        if type_name in ("qtailq", "qlist") and layout.vmsd is not None:
            return self._list(layout, start, path, name)
        if layout.vmsd is not None and type_name not in ("gtree",):
            fields, subsections, end = self.decode(layout.vmsd, start, path)
            if type_name == "tmp":
                subsections = ()
            return Field(name, path, Span(start, end), type_name, None, fields, subsections), end
        size = layout.size
        self._need(start, size, f"field {name}")
        end = start + size
        return Field(name, path, Span(start, end), type_name, self._value(layout, start)), end

    def _value(self, layout: FieldLayout, start: int) -> FieldValue:
        type_name, size = layout.type_name, layout.size
        fmt = _INT_FORMATS.get(type_name)
        if fmt is not None and struct.calcsize(fmt) == size:
            value: int | float = struct.unpack_from(fmt, self.buf, start)[0]
            return value
        if type_name == "bool" and size == 1:
            return self.buf[start] != 0
        if type_name == "nullptr" and size == 1:
            if self.buf[start] != NULLPTR_MARKER:
                raise LayoutMismatch(start, "the NULL marker 0x30", f"{self.buf[start]:#04x}")
            return None
        if type_name == "pci irq state" and size == 16:
            return tuple(struct.unpack_from(">4i", self.buf, start))
        if type_name == "capability" and size >= 1:
            return bytes(self.buf[start + 1 : start + size]).decode("latin-1")
        return bytes(self.buf[start : start + size])

    def _list(self, layout: FieldLayout, start: int, path: str, name: str) -> tuple[Field, int]:
        assert layout.vmsd is not None
        pos = start
        elements: list[Field] = []
        while True:
            self._need(pos, 1, f"list {name} marker")
            marker = self.buf[pos]
            pos += 1
            if marker == 0:
                break
            if marker != 1 or len(elements) >= MAX_LIST_ELEMENTS:
                raise LayoutMismatch(pos - 1, f"a marker 0 or 1 in list {name}", f"{marker:#04x}")
            i, element_start = len(elements), pos
            fields, subs, pos = self.decode(layout.vmsd, pos, f"{path}[{i}]")
            span = Span(element_start, pos)
            elements.append(
                Field(f"{name}[{i}]", f"{path}[{i}]", span, "struct", None, fields, subs)
            )
        return Field(name, path, Span(start, pos), layout.type_name, None, tuple(elements)), pos

    def _subsections(
        self, vmsd: VmsdLayout, pos: int, path: str
    ) -> tuple[tuple[Subsection, ...], int]:
        found = []
        prefix = vmsd.name.encode("latin-1")
        while pos < self.limit and self.buf[pos] == SUBSECTION_TAG:
            # The loader's own test: a subsection name is at least parent name + 1 and
            # starts with the parent's name; anything else ends the subsection list.
            if pos + 2 > self.limit:
                break
            name_len = self.buf[pos + 1]
            name_bytes = bytes(self.buf[pos + 2 : pos + 2 + name_len])
            if name_len < len(prefix) + 1 or not name_bytes.startswith(prefix):
                break
            name, version_id, body_start = self.read_subsection_header(pos)
            sub_layout = vmsd.find_subsection(name) or self.layout.find_vmsd(name)
            if sub_layout is None:
                raise LayoutMismatch(pos, "a subsection the layout knows", repr(name))
            sub_path = f"{path}/{name}"
            fields, nested, end = self.decode(sub_layout, body_start, sub_path, version_id & 0xFF)
            found.append(Subsection(name, sub_path, Span(pos, end), version_id, fields, nested))
            pos = end
        return tuple(found), pos
