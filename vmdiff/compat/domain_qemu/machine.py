"""The machine itself: machine type and properties, firmware, CPU, memory, vCPUs, clock, power."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

from vmdiff.compat.domain import MACHINE_ALIASES, MIB
from vmdiff.compat.domain_qemu.draft import Draft

SIZE_UNITS = {"b": 1, "bytes": 1, "k": 1024, "kib": 1024, "kb": 1000, "m": MIB, "mib": MIB}
SIZE_UNITS |= {"mb": 1000**2, "g": 1024**3, "gib": 1024**3, "gb": 1000**3, "t": 1024**4}


def check_machine_type(draft: Draft) -> None:
    """Refuse a missing machine type or one that is not an x86 pc or q35."""
    if not draft.machine:
        draft.skip("<os><type>", "no machine type")
    elif not (draft.machine in MACHINE_ALIASES or draft.machine.startswith("pc-")):
        draft.skip(f"machine {draft.machine}", "only the x86 pc (i440FX) and q35 machines")


def machine_args(draft: Draft, domain_type: str) -> list[str]:
    """The head of the line: -machine, -accel, -cpu, -m, -smp, -nodefaults and -rtc."""
    memory = _memory(draft)
    smp = _smp(draft)
    head = ["-machine", ",".join([draft.machine, *draft.machine_props])]
    head += ["-accel", "kvm" if domain_type == "kvm" else "tcg"]
    cpu = draft.cpu_name if draft.root.find("cpu") is not None else _cpu_model(draft)
    if cpu:
        head += ["-cpu", ",".join([cpu, *draft.cpu_props])]
    head += ["-m", memory, "-smp", smp, "-nodefaults", "-rtc", draft.rtc]
    return head


def _memory(draft: Draft) -> str:
    mib = _mib(draft.root.find("memory"))
    if mib is None:
        draft.skip("<memory>", "missing or unreadable")
        return "64"
    maximum = draft.root.find("maxMemory")
    if maximum is None:
        return str(mib)
    max_mib = _mib(maximum)
    if max_mib is None:
        draft.skip("<maxMemory>", "unreadable")
        return str(mib)
    return f"size={mib}M,slots={maximum.get('slots', '0')},maxmem={max_mib}M"


def _smp(draft: Draft) -> str:
    vcpu = draft.root.find("vcpu")
    count = int((vcpu.text or "1").strip()) if vcpu is not None else 1
    current = vcpu.get("current") if vcpu is not None else None
    topology = draft.root.find("cpu/topology")
    if topology is not None:
        layout = ",".join(
            f"{k}={topology.get(k)}"
            for k in ("sockets", "dies", "cores", "threads")
            if topology.get(k)
        )
    else:
        layout = f"sockets={count},cores=1,threads=1"
    online = current if current and current != str(count) else str(count)
    maxcpus = f",maxcpus={count}" if online != str(count) else ""
    return f"{online}{maxcpus},{layout}"


def translate_os(draft: Draft, element: ET.Element) -> None:
    """<os>: the architecture check and the firmware."""
    arch = element.find("type")
    if arch is not None and arch.get("arch") not in ("x86_64", "i686"):
        draft.skip(f"arch {arch.get('arch')}", "only x86")
    for child in element:
        if child.tag == "loader":
            _loader(draft, child, element.find("nvram"))
        elif child.tag not in ("type", "boot", "bootmenu", "smbios", "bios", "nvram"):
            draft.skip(f"<os><{child.tag}>", "not translated")


def _loader(draft: Draft, loader: ET.Element, nvram: ET.Element | None) -> None:
    path = (loader.text or "").strip()
    if loader.get("type", "rom") == "rom":
        if _readable(path):
            draft.add("-bios", path)
            draft.note(f"firmware {path} is this host's copy")
        else:
            draft.skip(f"<loader> {path}", "not readable on this host")
        return
    vars_path = (nvram.text or "").strip() if nvram is not None else ""
    template = nvram.get("template", "") if nvram is not None else ""
    vars_file = next((p for p in (vars_path, template) if _readable(p)), None)
    if not _readable(path) or vars_file is None:
        draft.skip(f"<loader> {path}", "its code or variables file is not readable here")
        return
    draft.add("-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={path}")
    # snapshot=on: the run writes to a throwaway overlay, never to the variables file.
    draft.add("-drive", f"if=pflash,format=raw,unit=1,snapshot=on,file={vars_file}")
    if loader.get("secure") == "yes":
        draft.add("-global", "driver=cfi.pflash01,property=secure,value=on")
    draft.note(f"UEFI: this host's {path} and {vars_file} (their sizes are RAM block lengths)")


def translate_features(draft: Draft, element: ET.Element) -> None:
    """<features>: machine and CPU properties."""
    names = {child.tag for child in element}
    if "acpi" not in names:
        draft.machine_props.append("acpi=off")
    for child in element:
        state = child.get("state")
        if child.tag in ("acpi", "apic", "pae"):
            continue
        if child.tag == "vmport" and state in ("on", "off"):
            draft.machine_props.append(f"vmport={state}")
        elif child.tag == "smm" and state in ("on", "off"):
            draft.machine_props.append(f"smm={state}")
        elif child.tag == "pmu" and state in ("on", "off"):
            draft.cpu_props.append(f"pmu={state}")
        elif child.tag == "vmcoreinfo" and state != "off":
            draft.add("-device", "vmcoreinfo")
        else:
            draft.skip(f"<features><{child.tag}>", "not translated")


def translate_cpu(draft: Draft, element: ET.Element) -> None:
    """<cpu>: the model and its features (the topology is read by -smp)."""
    draft.cpu_name = _cpu_model(draft)
    for child in element:
        if child.tag == "feature":
            _cpu_feature(draft, child)
        elif child.tag not in ("model", "topology", "vendor"):
            draft.skip(f"<cpu><{child.tag}>", "not translated")


def _cpu_feature(draft: Draft, feature: ET.Element) -> None:
    name, policy = feature.get("name", ""), feature.get("policy", "require")
    if policy in ("require", "force"):
        draft.cpu_props.append(f"{name}=on")
    elif policy in ("disable", "forbid"):
        draft.cpu_props.append(f"{name}=off")
    else:
        draft.skip(f"<cpu><feature name='{name}' policy='{policy}'>", "depends on the host")


def _cpu_model(draft: Draft) -> str | None:
    cpu = draft.root.find("cpu")
    mode = cpu.get("mode", "custom") if cpu is not None else None
    if cpu is None:
        draft.note("no <cpu>: QEMU's default CPU model (libvirt adds qemu64 when it defines)")
        return None if not draft.cpu_props else "qemu64"
    if mode == "host-passthrough":
        return "host"
    if mode == "maximum":
        return "max"
    if mode == "host-model":
        draft.skip(
            "<cpu mode='host-model'>",
            "libvirt expands it to this host's CPU: take <cpu> from `virsh dumpxml` of the "
            "running domain",
        )
        return None
    model = cpu.findtext("model")
    return model.strip() if model else None


def translate_clock(draft: Draft, element: ET.Element) -> None:
    """<clock>: the RTC base and the timers."""
    offset = element.get("offset", "utc")
    if offset in ("utc", "localtime"):
        draft.rtc = f"base={offset}"
    else:
        draft.note(f"<clock offset='{offset}'>: the RTC starts from UTC here")
    for timer in element.findall("timer"):
        name, present = timer.get("name"), timer.get("present")
        policy = timer.get("tickpolicy")
        if name == "hpet" and present in ("yes", "no"):
            draft.machine_props.append(f"hpet={'on' if present == 'yes' else 'off'}")
        elif name == "rtc" and policy == "catchup":
            draft.rtc += ",driftfix=slew"
        elif name == "pit" and policy == "delay":
            if draft.root.get("type") == "kvm":
                draft.add("-global", "kvm-pit.lost_tick_policy=delay")
        elif name == "kvmclock" and present == "no":
            draft.cpu_props.append("kvmclock=off")
        elif name in ("rtc", "pit", "kvmclock", "hpet") and policy is None and present is None:
            continue
        else:
            attrs = " ".join(f"{k}='{v}'" for k, v in timer.attrib.items())
            draft.skip(f"<timer {attrs}>", "not translated")


def translate_pm(draft: Draft, element: ET.Element) -> None:
    """<pm>: S3 and S4 on the power-management device of the machine."""
    device = "ICH9-LPC" if draft.q35 else "PIIX4_PM"
    for child in element:
        enabled = child.get("enabled")
        flag = {"suspend-to-mem": "disable_s3", "suspend-to-disk": "disable_s4"}.get(child.tag)
        if flag is None or enabled not in ("yes", "no"):
            draft.skip(f"<pm><{child.tag}>", "not translated")
            continue
        value = "1" if enabled == "no" else "0"
        draft.add("-global", f"{device}.{flag}={value}")


def _mib(element: ET.Element | None) -> int | None:
    """A libvirt size element in whole MiB, rounded up as libvirt does for x86 guests."""
    text = (element.text or "").strip() if element is not None else ""
    unit = element.get("unit", "KiB").lower() if element is not None else ""
    if not text.isdigit() or unit not in SIZE_UNITS:
        return None
    return -(-int(text) * SIZE_UNITS[unit] // MIB)


def _readable(path: str) -> bool:
    return bool(path) and os.access(path, os.R_OK)
