"""Translate a libvirt domain XML into the QEMU command line that builds the same machine.

Only what shapes the migration stream is translated: machine type and its properties, the
accelerator, CPU model, memory, vCPUs, UUID, RTC and timers, and the devices at the addresses
the XML gives them. Back-ends are replaced, because device state does not depend on them and a
profile run must never touch the destination's files: disks become zero-filled ``null-co``
nodes, NICs get no back-end, serial ports and channels a ``null`` chardev, sound an ``none``
audiodev. An element vmdiff does not translate is listed in ``untranslated``; the caller
refuses it or, when asked to approximate, leaves it out and says so.
"""

from __future__ import annotations

import os
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from vmdiff.compat.domain import MACHINE_ALIASES, MIB
from vmdiff.compat.domain_devices import (
    DeviceModel,
    PciAddress,
    describe,
    device_model,
    pci_address,
)
from vmdiff.decode.domain_xml import parse_domain_xml
from vmdiff.errors import InputError

# Disks stand in as this many zero bytes: device state does not depend on the image.
STAND_IN_DISK_BYTES = MIB
AUDIODEV_ID = "audio1"
SIZE_UNITS = {"b": 1, "bytes": 1, "k": 1024, "kib": 1024, "kb": 1000, "m": MIB, "mib": MIB}
SIZE_UNITS |= {"mb": 1000**2, "g": 1024**3, "gib": 1024**3, "gb": 1000**3, "t": 1024**4}
# Elements with no effect on the machine QEMU builds (host placement, tuning, metadata).
NO_STATE_ELEMENTS = frozenset(
    {
        "name",
        "title",
        "description",
        "metadata",
        "currentMemory",
        "resource",
        "cputune",
        "numatune",
        "blkiotune",
        "memtune",
        "iothreads",
        "iothreadids",
        "on_poweroff",
        "on_reboot",
        "on_crash",
        "on_lockfailure",
        "seclabel",
        "perf",
        "idmap",
        "sysinfo",
    }
)
# Children of a device that only configure its back-end, identity or host side.
DEVICE_NO_STATE_CHILDREN = frozenset(
    {
        "address",
        "alias",
        "source",
        "target",
        "driver",
        "boot",
        "backingStore",
        "serial",
        "shareable",
        "readonly",
        "wwn",
        "vendor",
        "product",
        "iotune",
        "encryption",
        "auth",
        "geometry",
        "blockio",
        "transient",
        "mirror",
        "mac",
        "model",
        "link",
        "bandwidth",
        "virtualport",
        "filterref",
        "guest",
        "ip",
        "route",
        "vlan",
        "script",
        "coalesce",
        "tune",
        "port",
        "portForward",
        "acpi",
        "stats",
        "rate",
        "backend",
        "codec",
        "master",
        "log",
        "protocol",
        "acceleration",
    }
)


@dataclass(slots=True)
class Translation:
    """The QEMU arguments, what was replaced or ignored (notes), and what was not translated."""

    args: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)

    def command_line(self, binary: str) -> str:
        """The command line as a shell would take it."""
        return shlex.join([binary, *self.args])


def translate(text: str, origin: str) -> Translation:
    """The QEMU arguments for a domain XML (refusing DTDs and entities, like every XML read)."""
    parse_domain_xml(text, origin)
    try:
        return _Translator(ET.fromstring(text)).run()
    except ValueError as err:
        raise InputError(f"{origin}: expected a number in the XML ({err})") from None


class _Translator:
    def __init__(self, root: ET.Element) -> None:
        self.root = root
        self.out = Translation()
        machine_type = root.find("os/type")
        self.machine = machine_type.get("machine", "") if machine_type is not None else ""
        canonical = MACHINE_ALIASES.get(self.machine, self.machine)
        self.q35 = "q35" in canonical
        self.machine_props: list[str] = ["usb=off"]
        self.cpu_props: list[str] = []
        self.cpu_name: str | None = None
        self.rtc = "base=utc"
        self.counters: dict[str, int] = {}
        self.serial_ports: set[int] = set()
        self.usb_ids: dict[int, str] = {}
        self.audiodev = False

    def skip(self, what: str, why: str) -> None:
        self.out.untranslated.append(f"{what}: {why}")

    def note(self, text: str) -> None:
        if text not in self.out.notes:
            self.out.notes.append(text)

    def add(self, *args: str) -> None:
        self.out.args.extend(args)

    def next_id(self, prefix: str) -> str:
        number = self.counters.get(prefix, 0)
        self.counters[prefix] = number + 1
        return f"{prefix}{number}"

    # --- the machine ---------------------------------------------------------------------

    def run(self) -> Translation:
        root = self.root
        if not self.machine:
            self.skip("<os><type>", "no machine type")
        elif not (self.machine in MACHINE_ALIASES or self.machine.startswith("pc-")):
            self.skip(f"machine {self.machine}", "only the x86 pc (i440FX) and q35 machines")
        handlers: dict[str, Callable[[ET.Element], None]] = {
            "uuid": lambda e: self.add("-uuid", (e.text or "").strip()),
            # memory, maxMemory and vcpu are read when the head of the line is built.
            "memory": lambda e: None,
            "maxMemory": lambda e: None,
            "vcpu": lambda e: None,
            "vcpus": lambda e: self.skip("<vcpus>", "per-vCPU hotplug settings"),
            "os": self.os,
            "features": self.features,
            "cpu": self.cpu,
            "clock": self.clock,
            "pm": self.pm,
            "devices": self.devices,
        }
        domain_type = root.get("type", "")
        if domain_type not in ("kvm", "qemu"):
            self.skip(f"<domain type='{domain_type}'>", "only kvm and qemu domains")
        for element in root:
            handler = handlers.get(element.tag)
            if handler is not None:
                handler(element)
            elif element.tag not in NO_STATE_ELEMENTS:
                self.skip(f"<{element.tag}>", "not translated")
        memory = self.memory()
        smp = self.smp()
        head = ["-machine", ",".join([self.machine, *self.machine_props])]
        head += ["-accel", "kvm" if domain_type == "kvm" else "tcg"]
        cpu = self.cpu_name if root.find("cpu") is not None else self.cpu_model()
        if cpu:
            head += ["-cpu", ",".join([cpu, *self.cpu_props])]
        head += ["-m", memory, "-smp", smp, "-nodefaults", "-rtc", self.rtc]
        self.out.args[:0] = head
        self.out.notes.insert(
            0, f"the emulator {root.findtext('devices/emulator', '?')} is not run: --qemu is"
        )
        return self.out

    def memory(self) -> str:
        mib = _mib(self.root.find("memory"))
        if mib is None:
            self.skip("<memory>", "missing or unreadable")
            return "64"
        maximum = self.root.find("maxMemory")
        if maximum is None:
            return str(mib)
        max_mib = _mib(maximum)
        if max_mib is None:
            self.skip("<maxMemory>", "unreadable")
            return str(mib)
        return f"size={mib}M,slots={maximum.get('slots', '0')},maxmem={max_mib}M"

    def smp(self) -> str:
        vcpu = self.root.find("vcpu")
        count = int((vcpu.text or "1").strip()) if vcpu is not None else 1
        current = vcpu.get("current") if vcpu is not None else None
        topology = self.root.find("cpu/topology")
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

    def os(self, element: ET.Element) -> None:
        arch = element.find("type")
        if arch is not None and arch.get("arch") not in ("x86_64", "i686"):
            self.skip(f"arch {arch.get('arch')}", "only x86")
        for child in element:
            if child.tag == "loader":
                self.loader(child, element.find("nvram"))
            elif child.tag not in ("type", "boot", "bootmenu", "smbios", "bios", "nvram"):
                self.skip(f"<os><{child.tag}>", "not translated")

    def loader(self, loader: ET.Element, nvram: ET.Element | None) -> None:
        path = (loader.text or "").strip()
        if loader.get("type", "rom") == "rom":
            if _readable(path):
                self.add("-bios", path)
                self.note(f"firmware {path} is this host's copy")
            else:
                self.skip(f"<loader> {path}", "not readable on this host")
            return
        vars_path = (nvram.text or "").strip() if nvram is not None else ""
        template = nvram.get("template", "") if nvram is not None else ""
        vars_file = next((p for p in (vars_path, template) if _readable(p)), None)
        if not _readable(path) or vars_file is None:
            self.skip(f"<loader> {path}", "its code or variables file is not readable here")
            return
        self.add("-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={path}")
        # snapshot=on: the run writes to a throwaway overlay, never to the variables file.
        self.add("-drive", f"if=pflash,format=raw,unit=1,snapshot=on,file={vars_file}")
        if loader.get("secure") == "yes":
            self.add("-global", "driver=cfi.pflash01,property=secure,value=on")
        self.note(f"UEFI: this host's {path} and {vars_file} (their sizes are RAM block lengths)")

    def features(self, element: ET.Element) -> None:
        names = {child.tag for child in element}
        if "acpi" not in names:
            self.machine_props.append("acpi=off")
        for child in element:
            state = child.get("state")
            if child.tag in ("acpi", "apic", "pae"):
                continue
            if child.tag == "vmport" and state in ("on", "off"):
                self.machine_props.append(f"vmport={state}")
            elif child.tag == "smm" and state in ("on", "off"):
                self.machine_props.append(f"smm={state}")
            elif child.tag == "pmu" and state in ("on", "off"):
                self.cpu_props.append(f"pmu={state}")
            elif child.tag == "vmcoreinfo" and state != "off":
                self.add("-device", "vmcoreinfo")
            else:
                self.skip(f"<features><{child.tag}>", "not translated")

    def cpu(self, element: ET.Element) -> None:
        self.cpu_name = self.cpu_model()
        for child in element:
            if child.tag == "feature":
                self.cpu_feature(child)
            elif child.tag not in ("model", "topology", "vendor"):
                self.skip(f"<cpu><{child.tag}>", "not translated")

    def cpu_feature(self, feature: ET.Element) -> None:
        name, policy = feature.get("name", ""), feature.get("policy", "require")
        if policy in ("require", "force"):
            self.cpu_props.append(f"{name}=on")
        elif policy in ("disable", "forbid"):
            self.cpu_props.append(f"{name}=off")
        else:
            self.skip(f"<cpu><feature name='{name}' policy='{policy}'>", "depends on the host")

    def cpu_model(self) -> str | None:
        cpu = self.root.find("cpu")
        mode = cpu.get("mode", "custom") if cpu is not None else None
        if cpu is None:
            self.note("no <cpu>: QEMU's default CPU model (libvirt adds qemu64 when it defines)")
            return None if not self.cpu_props else "qemu64"
        if mode == "host-passthrough":
            return "host"
        if mode == "maximum":
            return "max"
        if mode == "host-model":
            self.skip(
                "<cpu mode='host-model'>",
                "libvirt expands it to this host's CPU: take <cpu> from `virsh dumpxml` of the "
                "running domain",
            )
            return None
        model = cpu.findtext("model")
        return model.strip() if model else None

    def clock(self, element: ET.Element) -> None:
        offset = element.get("offset", "utc")
        if offset in ("utc", "localtime"):
            self.rtc = f"base={offset}"
        else:
            self.note(f"<clock offset='{offset}'>: the RTC starts from UTC here")
        for timer in element.findall("timer"):
            name, present = timer.get("name"), timer.get("present")
            policy = timer.get("tickpolicy")
            if name == "hpet" and present in ("yes", "no"):
                self.machine_props.append(f"hpet={'on' if present == 'yes' else 'off'}")
            elif name == "rtc" and policy == "catchup":
                self.rtc += ",driftfix=slew"
            elif name == "pit" and policy == "delay":
                if self.root.get("type") == "kvm":
                    self.add("-global", "kvm-pit.lost_tick_policy=delay")
            elif name == "kvmclock" and present == "no":
                self.cpu_props.append("kvmclock=off")
            elif name in ("rtc", "pit", "kvmclock", "hpet") and policy is None and present is None:
                continue
            else:
                attrs = " ".join(f"{k}='{v}'" for k, v in timer.attrib.items())
                self.skip(f"<timer {attrs}>", "not translated")

    def pm(self, element: ET.Element) -> None:
        device = "ICH9-LPC" if self.q35 else "PIIX4_PM"
        for child in element:
            enabled = child.get("enabled")
            flag = {"suspend-to-mem": "disable_s3", "suspend-to-disk": "disable_s4"}.get(child.tag)
            if flag is None or enabled not in ("yes", "no"):
                self.skip(f"<pm><{child.tag}>", "not translated")
                continue
            value = "1" if enabled == "no" else "0"
            self.add("-global", f"{device}.{flag}={value}")

    # --- devices ---------------------------------------------------------------------------

    def devices(self, devices: ET.Element) -> None:
        handlers: dict[str, Callable[[ET.Element], None]] = {
            "emulator": lambda e: None,
            "controller": self.controller,
            "disk": self.disk,
            "interface": self.interface,
            "video": self.video,
            "sound": self.sound,
            "memballoon": self.memballoon,
            "rng": self.rng,
            "watchdog": self.watchdog,
            "serial": self.serial,
            "console": self.console,
            "channel": self.channel,
            "input": self.input,
            "graphics": lambda e: self.note(
                "<graphics> ignored: a display back-end has no device state"
            ),
            "audio": lambda e: self.note("<audio> replaced by an audiodev of type none"),
        }
        # (video is told apart below: the first one is the primary display)
        # PCI controllers by index, then other controllers, then devices: each names its bus.
        ordered = sorted(devices, key=_creation_order)
        if not any(c.get("type") == "usb" for c in devices.findall("controller")) and not self.q35:
            self.add("-device", "piix3-usb-uhci,id=usb,bus=pci.0,addr=0x1.0x2")
            self.usb_ids[0] = "usb"
            self.note("no USB controller in the XML: libvirt's default for i440FX, PIIX3 UHCI")
        elif not any(c.get("type") == "usb" for c in devices.findall("controller")):
            self.skip("USB", "no <controller type='usb'>: libvirt adds its default for q35")
        video_seen = False
        for element in ordered:
            handler = handlers.get(element.tag)
            if element.tag == "video":
                self.video(element, primary=not video_seen)
                video_seen = True
            elif handler is None:
                self.skip(describe(element), "this kind of device is not translated")
            else:
                handler(element)

    def unknown_children(self, element: ET.Element, also: frozenset[str] = frozenset()) -> bool:
        strange = [
            c.tag for c in element if c.tag not in DEVICE_NO_STATE_CHILDREN and c.tag not in also
        ]
        for tag in strange:
            self.skip(f"{describe(element)}: <{tag}>", "not translated")
        return bool(strange)

    def place(self, element: ET.Element, props: list[str]) -> bool:
        """Add bus= and addr= from the PCI address; False (and skipped) without one."""
        address = pci_address(element)
        if address is None:
            self.skip(
                describe(element),
                "no PCI address (libvirt assigns one when it defines the domain: use the XML "
                "`virsh dumpxml` prints)",
            )
            return False
        props += _pci_props(address, self.q35)
        return True

    def pci_device(
        self,
        element: ET.Element,
        model: DeviceModel | None,
        *props: str,
        also: frozenset[str] = frozenset(),
    ) -> bool:
        """Add the device at its PCI address; False when it was skipped instead."""
        if model is None:
            self.skip(describe(element), "this model is not translated")
            return False
        line = [model.driver, *props]
        if self.unknown_children(element, also) or not self.place(element, line):
            return False
        self.add("-device", ",".join(line))
        return True

    def controller(self, element: ET.Element) -> None:
        kind, index = element.get("type", ""), element.get("index", "0")
        model = element.get("model")
        if kind == "pci" and model in ("pci-root", "pcie-root"):
            return
        if kind in ("ide", "sata") and index == "0" and (kind == "sata") == self.q35:
            return
        if kind == "usb" and model == "none":
            return
        if kind == "pci":
            self.pci_controller(element, index)
        elif kind == "usb":
            self.usb_controller(element, index)
        elif kind == "scsi":
            props = [f"id=scsi{index}"]
            driver = element.find("driver")
            if model == "virtio-scsi" and driver is not None and driver.get("queues"):
                props.append(f"num_queues={driver.get('queues')}")
            self.pci_device(element, device_model(element), *props)
        elif kind == "virtio-serial":
            props = [f"id=virtio-serial{index}"]
            if element.get("ports"):
                props.append(f"max_ports={element.get('ports')}")
            self.pci_device(element, device_model(element), *props)
        else:
            self.skip(describe(element), "this kind of controller is not translated")

    def pci_controller(self, element: ET.Element, index: str) -> None:
        model = device_model(element)
        named = element.find("model")
        if (
            model is not None
            and named is not None
            and named.get("name")
            not in (
                None,
                model.driver,
            )
        ):
            model = None
        target = element.find("target")
        props = [f"id=pci.{index}"]
        if element.get("model") == "pcie-root-port" and target is not None:
            props += [f"port={target.get('port', '0')}", f"chassis={target.get('chassis', index)}"]
        elif element.get("model") == "pci-bridge":
            chassis = target.get("chassisNr", index) if target is not None else index
            props.append(f"chassis_nr={chassis}")
        self.pci_device(element, model, *props)

    def usb_controller(self, element: ET.Element, index: str) -> None:
        usb_id = "usb" if index == "0" else f"usb{index}"
        self.usb_ids[int(index)] = usb_id
        props = [f"id={usb_id}"]
        master = element.find("master")
        if master is not None:
            props = [f"masterbus={usb_id}.0", f"firstport={master.get('startport', '0')}"]
        if element.get("ports") and "xhci" in (element.get("model") or ""):
            props += [f"p2={element.get('ports')}", f"p3={element.get('ports')}"]
        self.pci_device(element, device_model(element), *props)

    def disk(self, element: ET.Element) -> None:
        device = element.get("device", "disk")
        target = element.find("target")
        bus = target.get("bus", "") if target is not None else ""
        dev = target.get("dev", "?") if target is not None else "?"
        what = describe(element)
        if device not in ("disk", "cdrom"):
            self.skip(what, f"device='{device}' is not translated")
            return
        if self.unknown_children(element):
            return
        node = f"drive-{dev}"
        has_media = element.find("source") is not None or device == "disk"
        readonly = element.find("readonly") is not None or device == "cdrom"
        drive = [f"drive={node}"] if has_media else []
        if bus == "virtio":
            if device == "cdrom":
                self.skip(what, "a virtio cdrom")
                return
            line = ["virtio-blk-pci", *drive, f"id=virtio-{dev}"]
            driver = element.find("driver")
            if driver is not None and driver.get("queues"):
                line.append(f"num-queues={driver.get('queues')}")
            if not self.place(element, line):
                return
        else:
            located = self.drive_address(element, bus, device)
            if located is None:
                return
            line = [*located, *drive, f"id={bus}-{dev}"]
        if has_media:
            read_only = ",read-only=on" if readonly else ""
            self.add(
                "-blockdev",
                f"driver=null-co,node-name={node},size={STAND_IN_DISK_BYTES},read-zeroes=on"
                f"{read_only}",
            )
            self.note(
                "disks are 1 MiB null-co stand-ins: device state does not depend on the "
                "image, and the destination's images are never opened"
            )
        self.add("-device", ",".join(line))

    def drive_address(self, element: ET.Element, bus: str, device: str) -> list[str] | None:
        address = element.find("address")
        what = describe(element)
        if address is None or address.get("type") != "drive":
            self.skip(what, "no drive address (use the XML `virsh dumpxml` prints)")
            return None
        controller, unit = address.get("controller", "0"), address.get("unit", "0")
        drive_bus, target = address.get("bus", "0"), address.get("target", "0")
        kind = "cd" if device == "cdrom" else "hd"
        if bus == "ide" and not self.q35 and controller == "0":
            return [f"ide-{kind}", f"bus=ide.{drive_bus}", f"unit={unit}"]
        if bus == "sata" and self.q35 and controller == "0":
            return [f"ide-{kind}", f"bus=ide.{unit}"]
        if bus == "scsi":
            scsi = self.root.find(f"devices/controller[@type='scsi'][@index='{controller}']")
            model = scsi.get("model") if scsi is not None else None
            if model == "virtio-scsi":
                return [
                    f"scsi-{kind}",
                    f"bus=scsi{controller}.0",
                    f"channel={drive_bus}",
                    f"scsi-id={target}",
                    f"lun={unit}",
                ]
            if model == "lsilogic":
                return [f"scsi-{kind}", f"bus=scsi{controller}.0", f"scsi-id={unit}"]
        self.skip(what, f"a {bus} disk on this machine is not translated")
        return None

    def interface(self, element: ET.Element) -> None:
        what = describe(element)
        if element.get("type") in ("hostdev", "vhostuser", "vdpa"):
            self.skip(what, f"type='{element.get('type')}' is not translated")
            return
        model = device_model(element)
        if element.find("model") is None:
            self.skip(what, "no <model>: libvirt picks the default model; name it")
            return
        props = [f"id={self.next_id('net')}"]
        mac = element.find("mac")
        if mac is not None and mac.get("address"):
            props.append(f"mac={mac.get('address')}")
        driver = element.find("driver")
        if driver is not None and int(driver.get("queues", "1") or "1") > 1:
            self.skip(f"{what}: <driver queues='{driver.get('queues')}'>", "multiqueue")
            return
        rom = element.find("rom")
        if rom is not None:
            if rom.get("file"):
                self.skip(f"{what}: <rom file>", "a ROM file of the destination host")
                return
            if rom.get("enabled") == "no":
                props.append("romfile=")
            if rom.get("bar") == "off":
                props.append("rombar=0")
        if element.find("mtu") is not None:
            self.skip(f"{what}: <mtu>", "not translated (it adds a virtio feature)")
            return
        self.note(
            "NICs have no back-end: a tap back-end's vnet header and offloads are not reproduced"
        )
        self.pci_device(element, model, *props, also=frozenset({"rom"}))

    def video(self, element: ET.Element, primary: bool = True) -> None:
        model_element = element.find("model")
        kind = model_element.get("type") if model_element is not None else None
        if kind == "none":
            return
        attrs = model_element.attrib if model_element is not None else {}
        props = [f"id={self.next_id('video')}"]
        if kind == "vga" and attrs.get("vram"):
            props.append(f"vgamem_mb={int(attrs['vram']) // 1024}")
        elif kind == "bochs" and attrs.get("vram"):
            props.append(f"vgamem={attrs['vram']}k")
        elif kind == "qxl":
            sizes = (("ram", "ram_size"), ("vram", "vram_size"))
            props += [f"{p}={int(attrs[a]) * 1024}" for a, p in sizes if attrs.get(a)]
            mbs = (("vram64", "vram64_size_mb"), ("vgamem", "vgamem_mb"))
            props += [f"{p}={int(attrs[a]) // 1024}" for a, p in mbs if attrs.get(a)]
        if kind in ("qxl", "virtio") and attrs.get("heads"):
            props.append(f"max_outputs={attrs['heads']}")
        accel = model_element.find("acceleration") if model_element is not None else None
        if accel is not None and accel.get("accel3d") == "yes":
            self.skip(describe(element), "3D acceleration (virgl)")
            return
        self.pci_device(element, device_model(element, primary_video=primary), *props)

    def sound(self, element: ET.Element) -> None:
        model = device_model(element)
        sound_id = self.next_id("sound")
        self.ensure_audiodev()
        if element.get("model") == "ac97":
            self.pci_device(element, model, f"id={sound_id}", f"audiodev={AUDIODEV_ID}")
            return
        if not self.pci_device(element, model, f"id={sound_id}"):
            return
        codecs = element.findall("codec") or [ET.Element("codec", type="duplex")]
        for number, codec in enumerate(codecs):
            kind = codec.get("type", "duplex")
            if kind not in ("duplex", "micro", "output"):
                self.skip(f"{describe(element)}: <codec type='{kind}'>", "not translated")
                continue
            self.add(
                "-device",
                f"hda-{kind},bus={sound_id}.0,cad={number},audiodev={AUDIODEV_ID}",
            )

    def ensure_audiodev(self) -> None:
        if not self.audiodev:
            self.add("-audiodev", f"none,id={AUDIODEV_ID}")
            self.audiodev = True

    def memballoon(self, element: ET.Element) -> None:
        if element.get("model") == "none":
            return
        props = ["id=balloon0"]
        if element.get("autodeflate") == "on":
            props.append("deflate-on-oom=on")
        if element.get("freePageReporting") == "on":
            props.append("free-page-reporting=on")
        self.pci_device(element, device_model(element), *props)

    def rng(self, element: ET.Element) -> None:
        rng_id = self.next_id("rng")
        self.note("RNG back-ends are replaced by /dev/urandom")
        if self.pci_device(element, device_model(element), f"id={rng_id}", f"rng=obj{rng_id}"):
            self.add("-object", f"rng-random,id=obj{rng_id},filename=/dev/urandom")

    def watchdog(self, element: ET.Element) -> None:
        if element.get("model") == "ib700":
            self.add("-device", "ib700,id=watchdog0")
            return
        self.pci_device(element, device_model(element), "id=watchdog0")

    def chardev(self, device_id: str) -> str:
        chardev_id = f"char{device_id}"
        self.add("-chardev", f"null,id={chardev_id}")
        self.note("serial ports, consoles and channels get a null back-end")
        return chardev_id

    def serial(self, element: ET.Element) -> None:
        target = element.find("target")
        kind = target.get("type", "isa-serial") if target is not None else "isa-serial"
        port = int(target.get("port", "0")) if target is not None else 0
        if kind != "isa-serial":
            self.skip(describe(element), f"a {kind} port is not translated")
            return
        self.serial_ports.add(port)
        chardev = self.chardev(f"serial{port}")
        self.add("-device", f"isa-serial,chardev={chardev},id=serial{port},index={port}")

    def console(self, element: ET.Element) -> None:
        target = element.find("target")
        kind = target.get("type", "serial") if target is not None else "serial"
        port = int(target.get("port", "0")) if target is not None else 0
        if kind == "serial":
            if port not in self.serial_ports and not self.root.findall("devices/serial"):
                self.serial(element)
            else:
                self.note("a serial <console> is the <serial> port itself")
        elif kind == "virtio":
            self.virtio_port(element, "virtconsole", "console")
        else:
            self.skip(describe(element), f"a {kind} console is not translated")

    def channel(self, element: ET.Element) -> None:
        target = element.find("target")
        kind = target.get("type") if target is not None else None
        if kind == "guestfwd":
            self.note("guestfwd channels ignored: they are no device")
        elif kind == "virtio":
            self.virtio_port(element, "virtserialport", "channel")
        else:
            self.skip(describe(element), f"a {kind} channel is not translated")

    def virtio_port(self, element: ET.Element, driver: str, prefix: str) -> None:
        address = element.find("address")
        target = element.find("target")
        props = [driver]
        if address is not None and address.get("type") == "virtio-serial":
            controller, bus = address.get("controller", "0"), address.get("bus", "0")
            props += [f"bus=virtio-serial{controller}.{bus}", f"nr={address.get('port', '1')}"]
        device_id = self.next_id(prefix)
        props += [f"chardev={self.chardev(device_id)}", f"id={device_id}"]
        if target is not None and target.get("name"):
            props.append(f"name={target.get('name')}")
        self.add("-device", ",".join(props))

    def input(self, element: ET.Element) -> None:
        kind, bus = element.get("type", ""), element.get("bus", "")
        if bus == "ps2" and kind in ("mouse", "keyboard"):
            return
        if bus == "usb" and kind in ("tablet", "mouse", "keyboard"):
            driver = {"tablet": "usb-tablet", "mouse": "usb-mouse", "keyboard": "usb-kbd"}[kind]
            props = [driver, f"id={self.next_id('input')}"]
            address = element.find("address")
            if address is not None and address.get("type") == "usb":
                usb_id = self.usb_ids.get(int(address.get("bus", "0")), "usb")
                props += [f"bus={usb_id}.0", f"port={address.get('port', '1')}"]
            self.add("-device", ",".join(props))
        elif bus == "virtio":
            self.pci_device(element, device_model(element), f"id={self.next_id('input')}")
        else:
            self.skip(describe(element), "this input device is not translated")


def _creation_order(element: ET.Element) -> tuple[int, int]:
    index = element.get("index", "0")
    number = int(index) if index.isdigit() else 0
    if element.tag == "controller" and element.get("type") == "pci":
        return (0, number)
    return (1, 0) if element.tag == "controller" else (2, 0)


def _pci_props(address: PciAddress, q35: bool) -> list[str]:
    root = "pcie.0" if q35 else "pci.0"
    bus = root if address.bus == 0 else f"pci.{address.bus}"
    addr = f"0x{address.slot:x}" + (f".0x{address.function:x}" if address.function else "")
    props = [f"bus={bus}", f"addr={addr}"]
    if address.multifunction:
        props.append("multifunction=on")
    return props


def _mib(element: ET.Element | None) -> int | None:
    """A libvirt size element in whole MiB, rounded up as libvirt does for x86 guests."""
    text = (element.text or "").strip() if element is not None else ""
    unit = element.get("unit", "KiB").lower() if element is not None else ""
    if not text.isdigit() or unit not in SIZE_UNITS:
        return None
    return -(-int(text) * SIZE_UNITS[unit] // MIB)


def _readable(path: str) -> bool:
    return bool(path) and os.access(path, os.R_OK)
