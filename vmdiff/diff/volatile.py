"""What --ignore-volatile drops: values that differ between any two captures of one setup.

Decided from real pairs of captures of the same command line, taken seconds apart, with QEMU
7.2 and 10.0 (i440fx and q35; paused, running under TCG, running under KVM), and from the
libvirt samples (one running guest saved several ways). Every entry is
a clock, a time stamp or a timer deadline; none is guest-visible configuration or device
state. Running guests also differ in CPU registers and RAM pages: that is real state, and
stays in the comparison. README.md ("Comparing two captures") lists the same entries.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Volatile:
    """A path glob whose value is a clock or deadline; for buffers, only some bytes are."""

    pattern: str
    reason: str
    byte_offsets: frozenset[int] = frozenset()


# MC146818 CMOS registers holding the wall-clock time and date (BCD): seconds, minutes, hours,
# day of week, day of month, month, year, and the century byte PC firmware reads at 0x32.
_CMOS_CLOCK = frozenset({0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32})

VOLATILE: tuple[Volatile, ...] = (
    Volatile("timer[*]/cpu_ticks_offset", "guest TSC offset from the host clock (running guest)"),
    Volatile("timer[*]/cpu_clock_offset", "guest virtual clock offset (running guest)"),
    Volatile("mc146818rtc[*]/base_rtc", "RTC wall-clock seconds at the last update"),
    Volatile("mc146818rtc[*]/last_update", "RTC time stamp of the last update (ns)"),
    Volatile("mc146818rtc[*]/update_timer", "RTC next update deadline (ns)"),
    Volatile("mc146818rtc[*]/next_alarm_time", "RTC next alarm deadline (ns)"),
    Volatile("mc146818rtc[*]/cmos_data", "CMOS clock and date registers", _CMOS_CLOCK),
    Volatile("i8254[*]/channels[*]/count_load_time", "PIT counter load time stamp (running)"),
    Volatile("i8254[*]/channels[*]/next_transition_time", "PIT next output edge (running)"),
    Volatile("i8254[*]/channels[*].next_transition_time", "PIT channel 0 deadline (running)"),
    Volatile("apic[*]/initial_count_load_time", "APIC timer load time stamp (KVM)"),
    Volatile("cpu[*]/env.tsc", "time stamp counter (KVM)"),
    Volatile("kvmclock[*]/clock", "kvmclock system time (KVM)"),
    Volatile("cpu[*]/cpu/msr_smi_count/env.msr_smi_count", "SMIs taken so far (running guest)"),
)

VOLATILE_PATHS: tuple[str, ...] = tuple(v.pattern for v in VOLATILE if not v.byte_offsets)
"""Globs whose whole value is volatile."""

VOLATILE_BYTES: tuple[Volatile, ...] = tuple(v for v in VOLATILE if v.byte_offsets)
"""Buffers in which only some bytes are volatile: the rest is still compared."""


__all__ = ["VOLATILE", "VOLATILE_BYTES", "VOLATILE_PATHS", "Volatile"]
