"""vmdiff: decode, compare and check QEMU live-migration streams."""

__version__ = "0.1.0"
