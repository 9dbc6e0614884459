"""The decoded stream as plain data: sections, subsections, fields and RAM, each with its span.

Imports the standard library only.
"""

from vmdiff.model.nodes import (
    Buffer,
    Command,
    Configuration,
    Container,
    EndOfStream,
    Fault,
    Field,
    FieldValue,
    MappedRamInfo,
    RamBlock,
    RamSummary,
    Record,
    Section,
    SectionProblem,
    Span,
    Stream,
    Subsection,
    Vmdesc,
)

__all__ = [
    "Buffer",
    "Command",
    "Configuration",
    "Container",
    "EndOfStream",
    "Fault",
    "Field",
    "FieldValue",
    "MappedRamInfo",
    "RamBlock",
    "RamSummary",
    "Record",
    "Section",
    "SectionProblem",
    "Span",
    "Stream",
    "Subsection",
    "Vmdesc",
]
