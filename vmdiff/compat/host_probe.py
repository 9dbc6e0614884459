"""Read this host's KVM facts from /dev/kvm: the MSR list, capabilities and TSC frequency.

These decide whether a destination on this host can really restore x86 CPU subsections
(``vmdiff profile --probe-host``). Stdlib only: ioctls through fcntl.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import struct
import time

from vmdiff.compat.knowledge import x86_knowledge
from vmdiff.compat.profile import DestinationProfile, Fact, HostFacts, ProfileError

KVM_DEVICE = "/dev/kvm"
KVMIO = 0xAE
KVM_API_VERSION = 12


def _io(nr: int) -> int:
    return (KVMIO << 8) | nr


def _iowr(nr: int, size: int) -> int:
    read_write = 3
    return (read_write << 30) | (size << 16) | (KVMIO << 8) | nr


KVM_GET_API_VERSION = _io(0x00)
KVM_CREATE_VM = _io(0x01)
KVM_GET_MSR_INDEX_LIST = _iowr(0x02, 4)  # struct kvm_msr_list { __u32 nmsrs; __u32 indices[]; }
KVM_CHECK_EXTENSION = _io(0x03)
KVM_CREATE_VCPU = _io(0x41)
KVM_GET_TSC_KHZ = _io(0xA3)
MAX_MSRS = 4096


def probe_host(device: str = KVM_DEVICE) -> HostFacts:
    """The MSRs KVM lists, the capabilities vmdiff's rules ask about, and the TSC frequency."""
    try:
        kvm = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except OSError as err:
        raise ProfileError(
            f"{device}: cannot open: {err.strerror} (is KVM available here?)"
        ) from None
    try:
        api = fcntl.ioctl(kvm, KVM_GET_API_VERSION)
        if api != KVM_API_VERSION:
            raise ProfileError(f"{device}: KVM API version {api}, expected {KVM_API_VERSION}")
        msrs = _msr_index_list(kvm)
        caps = {
            name: fcntl.ioctl(kvm, KVM_CHECK_EXTENSION, number)
            for name, number in sorted(x86_knowledge().kvm_caps.items())
        }
        tsc_khz = _tsc_khz(kvm)
    except OSError as err:
        raise ProfileError(f"{device}: KVM ioctl failed: {err.strerror}") from None
    finally:
        os.close(kvm)
    when = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    source = (
        f"probe of {device} on host {socket.gethostname()} ({os.uname().release}) at {when}: "
        "KVM_GET_MSR_INDEX_LIST, KVM_CHECK_EXTENSION, KVM_GET_TSC_KHZ"
    )
    return HostFacts(source=source, msrs=frozenset(msrs), kvm_caps=caps, tsc_khz=tsc_khz)


def _msr_index_list(kvm: int) -> list[int]:
    # The first call, with room for none, fails with E2BIG and says how many there are.
    header = bytearray(struct.pack("=I", 0))
    try:
        fcntl.ioctl(kvm, KVM_GET_MSR_INDEX_LIST, header)
    except OSError as err:
        if err.errno != errno.E2BIG:
            raise
    count = struct.unpack_from("=I", header)[0]
    if count > MAX_MSRS:
        raise ProfileError(f"KVM reports {count} MSRs, more than vmdiff expects ({MAX_MSRS})")
    buf = bytearray(struct.pack("=I", count) + bytes(4 * count))
    fcntl.ioctl(kvm, KVM_GET_MSR_INDEX_LIST, buf)
    count = struct.unpack_from("=I", buf)[0]
    return list(struct.unpack_from(f"={count}I", buf, 4))


def _tsc_khz(kvm: int) -> int | None:
    # The TSC frequency is a per-vCPU ioctl: make a throwaway VM with one vCPU.
    try:
        vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
    except OSError:
        return None
    try:
        vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
        try:
            khz = fcntl.ioctl(vcpu, KVM_GET_TSC_KHZ)
        finally:
            os.close(vcpu)
    except OSError:
        return None
    finally:
        os.close(vm)
    return khz if khz > 0 else None


def host_profile(device: str = KVM_DEVICE) -> DestinationProfile:
    """A profile holding only this host's KVM facts (accelerator kvm, inferred)."""
    host = probe_host(device)
    accel = Fact("kvm", f"probe: {device} opens, so a destination here can run KVM", inferred=True)
    return DestinationProfile(built_from=[host.source], host=host, accel=accel)
