"""Layout types: what a VMState description says about the bytes of a device body."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FieldLayout:
    """One VMStateField as described by a vmdesc (exact) or a dump (approximate)."""

    name: str
    type_name: str
    size: int
    array_len: int | None = None
    index: int | None = None
    vmsd: VmsdLayout | None = None
    version_id: int = 0
    conditional: bool = False

    @property
    def display_name(self) -> str:
        """The name as vmdiff paths show it: unfolded arrays get their index."""
        return self.name if self.index is None else f"{self.name}[{self.index}]"


@dataclass(frozen=True, slots=True)
class VmsdLayout:
    """A VMStateDescription: fields in wire order, then the subsections it may send."""

    name: str
    version: int
    fields: tuple[FieldLayout, ...] = ()
    subsections: tuple[VmsdLayout, ...] = ()
    minimum_version: int | None = None
    may_have_subsections: bool = True

    def find_subsection(self, name: str) -> VmsdLayout | None:
        """The subsection layout called ``name``, or None."""
        for sub in self.subsections:
            if sub.name == name:
                return sub
        return None


@dataclass(frozen=True, slots=True)
class DeviceLayout:
    """The layout of one section: which vmsd its body follows."""

    idstr: str
    instance_id: int
    vmsd: VmsdLayout


@dataclass(slots=True)
class StreamLayout:
    """Layouts for every device of a stream, and where they came from."""

    source: str
    exact: bool
    page_size: int | None = None
    devices: list[DeviceLayout] = field(default_factory=list)
    vmsds: dict[str, VmsdLayout] = field(default_factory=dict)
    _by_key: dict[tuple[str, int], DeviceLayout] = field(default_factory=dict, init=False)
    _by_idstr: dict[str, DeviceLayout] = field(default_factory=dict, init=False)
    _sections_named: dict[str, list[VmsdLayout]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._by_key = {(d.idstr, d.instance_id): d for d in self.devices}
        self._by_idstr = {d.idstr: d for d in self.devices}
        self.add_vmsds([device.vmsd for device in self.devices])

    def add_vmsds(self, top_level: list[VmsdLayout]) -> None:
        """Register vmsds by name: the given ones first, then what they nest."""
        for vmsd in top_level:
            self.vmsds.setdefault(vmsd.name, vmsd)
            named = self._sections_named.setdefault(vmsd.name, [])
            if vmsd not in named:
                named.append(vmsd)
        for vmsd in top_level:
            self._index_vmsd(vmsd)

    def _index_vmsd(self, vmsd: VmsdLayout) -> None:
        self.vmsds.setdefault(vmsd.name, vmsd)
        for sub in vmsd.subsections:
            self._index_vmsd(sub)
        for f in vmsd.fields:
            if f.vmsd is not None:
                self._index_vmsd(f.vmsd)

    def for_section(self, idstr: str, instance_id: int) -> VmsdLayout | None:
        """The vmsd a section's body follows, matched by (idstr, instance_id), then idstr, then
        by the vmsd name that ends the idstr."""
        device = self._by_key.get((idstr, instance_id)) or self._by_idstr.get(idstr)
        if device is not None:
            return device.vmsd
        return self.vmsds.get(idstr.rsplit("/", 1)[-1])

    def find_vmsd(self, name: str) -> VmsdLayout | None:
        """Any vmsd or subsection layout known by this name."""
        return self.vmsds.get(name)

    def section_vmsds(self, name: str) -> list[VmsdLayout]:
        """Every distinct device-level vmsd of this name (a dump may hold several)."""
        return list(self._sections_named.get(name, ()))
