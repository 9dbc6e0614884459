"""Array lengths: does the destination read as many elements as the source wrote?

Nothing on the wire says how long an array is. The destination takes the count from a field
loaded earlier (a VARRAY's count, which then travels in the stream) or from its own device
(a property, a fixed size). In the second case a different length makes it misread the rest
of the section, which usually ends in "Missing section footer". In the first case, a
destination that holds no buffer at all (length 0) hits the assertion
``first_elem || !n_elems || !size`` in vmstate_load_state and aborts (migration/vmstate.c).
Buffers are not compared: see vmdiff.compat.build.array_length.
"""

from __future__ import annotations

from vmdiff.compat.build import array_length
from vmdiff.compat.destination import Destination
from vmdiff.compat.verdict import Verdict, VerdictKind
from vmdiff.model import Field, Section

SUBJECT = "field"
ASSERTION = "vmstate_load_state: Assertion `first_elem || !n_elems || !size' failed."


def check_length(
    field: Field, earlier: tuple[Field, ...], section: Section, dest: Destination
) -> Verdict | None:
    """A verdict when the source's array or buffer length differs from the destination's."""
    lengths = dest.profile.array_lengths
    local = lengths.value.get(field.path) if lengths is not None else None
    count = array_length(field)
    if local is None or count is None or count == local.length:
        return None
    unit = "elements"
    carried = [f.name for f in earlier if f.name in local.count_fields and f.value == count]
    what = f"{count} {unit} on the source, {local.length} on the destination"
    offset = field.span.start
    if carried:
        if local.length == 0:
            return Verdict(
                VerdictKind.REJECT,
                SUBJECT,
                field.path,
                f"{what}; the count travels in {carried[0]}, and the destination has no buffer "
                "for the elements: QEMU aborts instead of reporting an error",
                (ASSERTION,),
                offset=offset,
                crash=True,
                predicted=True,
            )
        if count <= local.length:
            return Verdict(
                VerdictKind.ACCEPT,
                SUBJECT,
                field.path,
                f"{what}; the destination reads the count from {carried[0]} in the stream",
                offset=offset,
            )
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            field.path,
            f"{what}; the destination reads the count from {carried[0]}, but whether its "
            f"buffer holds {count} {unit} is up to the device",
            offset=offset,
            needs="the device's buffer size (a real load decides)",
        )
    return Verdict(
        VerdictKind.REJECT,
        SUBJECT,
        field.path,
        f"{what}; the destination takes the length from its own configuration, so it misreads "
        "the rest of the section",
        dest.failure_lines(dest.message("missing_footer", idstr=section.idstr)),
        offset=offset,
        predicted=True,
    )
