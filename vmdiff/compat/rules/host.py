"""Whether a destination host can really restore an x86 CPU subsection it accepted.

Under KVM, QEMU parses a CPU subsection into its CPU state but writes it to the kernel only when
the kernel listed the MSR (KVM_GET_MSR_INDEX_LIST), has the capability, or the vCPU has the
CPUID feature; otherwise the value is dropped without a message (target/i386/kvm/kvm.c). This is
the case of the seed thread: cpu/msr_smi_count into a kernel without MSR 0x34.
"""

from __future__ import annotations

from vmdiff.compat.destination import Destination
from vmdiff.compat.knowledge import CpuRequirement
from vmdiff.compat.profile import VmsdFact
from vmdiff.compat.rules.hints import stop_hint
from vmdiff.compat.verdict import Verdict, VerdictKind
from vmdiff.model import Section, Subsection

SUBJECT = "subsection"
PROBE_HINT = "run `vmdiff profile --probe-host` on the destination host"


def restore_verdict(
    sub: Subsection, vmsd: VmsdFact, section: Section, dest: Destination
) -> Verdict | None:
    """A verdict when restoring ``sub`` depends on the host; None when it does not."""
    need = dest.x86.requirements.get(sub.name)
    if need is None:
        return None
    accel = dest.accel
    if accel is None:
        return _verdict(
            VerdictKind.UNKNOWN,
            sub,
            f"restoring {sub.name} depends on the destination's accelerator and host",
            needs="whether the destination runs KVM or TCG",
        )
    if accel != "kvm":
        if need.kind == "kvm_cap" and need.without == "error":
            return _error(sub, need, section, dest, f"{accel} cannot restore it")
        return _verdict(VerdictKind.ACCEPT, sub, f"{accel} keeps it in the CPU state")
    return _under_kvm(sub, need, vmsd, section, dest)


def _under_kvm(
    sub: Subsection, need: CpuRequirement, vmsd: VmsdFact, section: Section, dest: Destination
) -> Verdict:
    host = dest.profile.host
    if need.kind == "none":
        return _verdict(VerdictKind.ACCEPT, sub, "KVM always restores it")
    if need.kind == "tcg_only":
        return _verdict(
            VerdictKind.IGNORE,
            sub,
            "it is TCG's own nested-SVM state, which KVM does not use",
            needs="a TCG destination",
        )
    if need.kind == "cpuid":
        fact = vmsd.subsections.get(sub.name)
        if fact is not None and fact.seen:
            return _verdict(
                VerdictKind.ACCEPT,
                sub,
                f"the destination's own capture sent it, so its vCPU has {need.feature}",
            )
        return _verdict(
            VerdictKind.UNKNOWN,
            sub,
            f"KVM restores it only if the destination's vCPU has {need.feature}; otherwise it is "
            "dropped",
            needs=f"whether the destination's -cpu enables {need.feature}",
        )
    if need.kind == "msr":
        assert need.msr is not None
        msr = f"MSR {need.msr:#x} ({need.msr_name})"
        if host is None or host.msrs is None:
            return _verdict(
                VerdictKind.UNKNOWN,
                sub,
                f"KVM restores it only if the destination kernel lists {msr}",
                needs=f"the destination kernel's MSR list: {PROBE_HINT}",
            )
        if need.msr in host.msrs:
            return _verdict(VerdictKind.ACCEPT, sub, f"the destination kernel lists {msr}")
        return _dropped(
            sub, f"the destination kernel does not list {msr}", f"{msr} in KVM_GET_MSR_INDEX_LIST"
        )
    if need.kind == "kvm_cap":
        assert need.cap is not None
        value = host.kvm_caps.get(need.cap) if host is not None else None
        if value is None:
            return _verdict(
                VerdictKind.UNKNOWN,
                sub,
                f"KVM restores it only with {need.cap}",
                needs=f"the destination's {need.cap}: {PROBE_HINT}",
            )
        if value > 0:
            return _verdict(VerdictKind.ACCEPT, sub, f"the destination's KVM has {need.cap}")
        if need.without == "error":
            return _error(sub, need, section, dest, f"the destination's KVM lacks {need.cap}")
        detail = f": {need.detail}" if need.detail else ""
        return _dropped(sub, f"the destination's KVM lacks {need.cap}{detail}", need.cap)
    if need.kind == "tsc":
        return _tsc(sub, need, dest)
    return _verdict(VerdictKind.UNKNOWN, sub, f"vmdiff has no rule for {need.kind}", needs="a rule")


def _tsc(sub: Subsection, need: CpuRequirement, dest: Destination) -> Verdict:
    host = dest.profile.host
    value = next((f.value for f in sub.fields if f.name == "env.tsc_khz"), None)
    guest_khz = value if isinstance(value, int) and not isinstance(value, bool) else None
    scaling = host.kvm_caps.get("KVM_CAP_TSC_CONTROL") if host is not None else None
    host_khz = host.tsc_khz if host is not None else None
    if guest_khz is not None and host_khz is not None and guest_khz == host_khz:
        return _verdict(
            VerdictKind.ACCEPT,
            sub,
            f"the destination host's TSC runs at the guest's {guest_khz} kHz",
        )
    if scaling:
        return _verdict(
            VerdictKind.ACCEPT, sub, "the destination's KVM scales the TSC (KVM_CAP_TSC_CONTROL)"
        )
    if scaling is None or host_khz is None or guest_khz is None:
        return _verdict(
            VerdictKind.UNKNOWN,
            sub,
            "KVM gives the guest its TSC frequency back only with TSC scaling or an equal host TSC",
            needs=f"the destination's TSC frequency and KVM_CAP_TSC_CONTROL: {PROBE_HINT}",
        )
    warning = dest.message("tsc_mismatch", vm=guest_khz, host=host_khz)
    said = f"; QEMU only warns: {warning}" if warning else ""
    return _dropped(
        sub,
        f"the guest's TSC ran at {guest_khz} kHz, the destination host's runs at "
        f"{host_khz} kHz and its KVM cannot scale it{said}",
        f"{need.cap} or a host TSC of {guest_khz} kHz",
    )


def _dropped(sub: Subsection, why: str, needs: str) -> Verdict:
    return _verdict(
        VerdictKind.IGNORE,
        sub,
        f"{why}: QEMU loads {sub.name} but the value never reaches the vCPU, without a "
        f"message{stop_hint(sub.name)}",
        needs=needs,
    )


def _error(
    sub: Subsection, need: CpuRequirement, section: Section, dest: Destination, why: str
) -> Verdict:
    # The subsection's own post_load refuses it, so no "Failed to load" line precedes.
    cause = dest.message(need.message) if need.message else None
    return Verdict(
        VerdictKind.REJECT,
        SUBJECT,
        sub.path,
        f"{why}, and QEMU refuses the state on load",
        dest.section_failure(section, cause),
        offset=sub.span.start,
        predicted=True,
    )


def _verdict(kind: VerdictKind, sub: Subsection, reason: str, needs: str | None = None) -> Verdict:
    return Verdict(kind, SUBJECT, sub.path, reason, offset=sub.span.start, needs=needs)
