# kaitai-struct-compiler 0.11.0 via tools/ksc/compile.mjs; do not edit
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from enum import IntEnum


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class QemuMigration(KaitaiStruct):
    """The main channel of a QEMU live migration, as written by `migrate` to exec:, fd:, file: or a
    socket. Every integer is big-endian; nothing is aligned or padded; sections carry no length.
    
    The root type parses a whole stream in one go. It needs what the wire does not say: the size of
    each device body (VMState data has no length prefix: only the field layout, e.g. the stream's
    own vmdesc JSON, tells where it ends), the target page size, which RAM capabilities were on
    and whether sections carry footers.
    vmdiff's reader (vmdiff/decode) streams the same types one record at a time, with those facts
    worked out as it goes; a test checks that both readings agree on every sample.
    
    .. seealso::
       ../docs/stream-format.md
    """

    class MigCmd(IntEnum):
        invalid = 0
        open_return_path = 1
        ping = 2
        postcopy_advise = 3
        postcopy_listen = 4
        postcopy_run = 5
        postcopy_ram_discard = 6
        packaged = 7
        enable_colo = 8
        postcopy_resume = 9
        recv_bitmap = 10
        switchover_start = 11

    class RecordType(IntEnum):
        eof = 0
        section_start = 1
        section_part = 2
        section_end = 3
        section_full = 4
        subsection = 5
        vmdescription = 6
        configuration = 7
        command = 8
        section_footer = 126
    def __init__(self, page_size, ignore_shared, mapped_ram, section_footers, body_sizes, _io, _parent=None, _root=None):
        super(QemuMigration, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self.page_size = page_size
        self.ignore_shared = ignore_shared
        self.mapped_ram = mapped_ram
        self.section_footers = section_footers
        self.body_sizes = body_sizes
        self._read()

    def _read(self):
        self.header = QemuMigration.FileHeader(self._io, self, self._root)
        if self.peek_record_type == QemuMigration.RecordType.configuration:
            pass
            self.configuration = QemuMigration.ConfigurationRecord(self._io, self, self._root)

        self.records = []
        i = 0
        while True:
            _ = QemuMigration.Record((-1 if i == 0 else self.records[i - 1].ram_section_id_after), (0 if i == 0 else self.records[i - 1].body_index_after), self._io.pos(), self._io, self, self._root)
            self.records.append(_)
            if _.rec_type == QemuMigration.RecordType.eof:
                break
            i += 1
        if (not (self._io.is_eof())):
            pass
            self.vmdesc = QemuMigration.VmdescRecord(self._io, self, self._root)



    def _fetch_instances(self):
        pass
        self.header._fetch_instances()
        if self.peek_record_type == QemuMigration.RecordType.configuration:
            pass
            self.configuration._fetch_instances()

        for i in range(len(self.records)):
            pass
            self.records[i]._fetch_instances()

        if (not (self._io.is_eof())):
            pass
            self.vmdesc._fetch_instances()

        _ = self.peek_record_type
        if hasattr(self, '_m_peek_record_type'):
            pass


    class CmdPackaged(KaitaiStruct):
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.CmdPackaged, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.length = self._io.read_u4be()


        def _fetch_instances(self):
            pass


    class CmdPing(KaitaiStruct):
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.CmdPing, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.value = self._io.read_u4be()


        def _fetch_instances(self):
            pass


    class CmdPostcopyAdvise(KaitaiStruct):
        """Empty for dirty-bitmap-only postcopy, else two page sizes."""
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.CmdPostcopyAdvise, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            if (not (self._io.is_eof())):
                pass
                self.host_page_summary = self._io.read_u8be()

            if (not (self._io.is_eof())):
                pass
                self.target_page_size = self._io.read_u8be()



        def _fetch_instances(self):
            pass
            if (not (self._io.is_eof())):
                pass

            if (not (self._io.is_eof())):
                pass



    class CmdRamDiscard(KaitaiStruct):
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.CmdRamDiscard, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.version = self._io.read_u1()
            self.name_len = self._io.read_u1()
            self.block_name = self._io.read_bytes(self.name_len)
            self.terminator = self._io.read_u1()
            self.ranges = []
            i = 0
            while not self._io.is_eof():
                self.ranges.append(QemuMigration.DiscardRange(self._io, self, self._root))
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.ranges)):
                pass
                self.ranges[i]._fetch_instances()



    class CmdRecvBitmap(KaitaiStruct):
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.CmdRecvBitmap, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.block_name = QemuMigration.Cstr(self._io, self, self._root)


        def _fetch_instances(self):
            pass
            self.block_name._fetch_instances()


    class Command(KaitaiStruct):
        """QEMU_VM_COMMAND: be16 cmd, be16 len, len bytes of data. For PACKAGED the data is only the
        length of the records that follow it (record.package).
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.Command, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.cmd = KaitaiStream.resolve_enum(QemuMigration.MigCmd, self._io.read_u2be())
            self.len = self._io.read_u2be()
            _on = self.cmd
            if _on == QemuMigration.MigCmd.packaged:
                pass
                self._raw_data = self._io.read_bytes(self.len)
                _io__raw_data = KaitaiStream(BytesIO(self._raw_data))
                self.data = QemuMigration.CmdPackaged(_io__raw_data, self, self._root)
            elif _on == QemuMigration.MigCmd.ping:
                pass
                self._raw_data = self._io.read_bytes(self.len)
                _io__raw_data = KaitaiStream(BytesIO(self._raw_data))
                self.data = QemuMigration.CmdPing(_io__raw_data, self, self._root)
            elif _on == QemuMigration.MigCmd.postcopy_advise:
                pass
                self._raw_data = self._io.read_bytes(self.len)
                _io__raw_data = KaitaiStream(BytesIO(self._raw_data))
                self.data = QemuMigration.CmdPostcopyAdvise(_io__raw_data, self, self._root)
            elif _on == QemuMigration.MigCmd.postcopy_ram_discard:
                pass
                self._raw_data = self._io.read_bytes(self.len)
                _io__raw_data = KaitaiStream(BytesIO(self._raw_data))
                self.data = QemuMigration.CmdRamDiscard(_io__raw_data, self, self._root)
            elif _on == QemuMigration.MigCmd.recv_bitmap:
                pass
                self._raw_data = self._io.read_bytes(self.len)
                _io__raw_data = KaitaiStream(BytesIO(self._raw_data))
                self.data = QemuMigration.CmdRecvBitmap(_io__raw_data, self, self._root)
            else:
                pass
                self.data = self._io.read_bytes(self.len)


        def _fetch_instances(self):
            pass
            _on = self.cmd
            if _on == QemuMigration.MigCmd.packaged:
                pass
                self.data._fetch_instances()
            elif _on == QemuMigration.MigCmd.ping:
                pass
                self.data._fetch_instances()
            elif _on == QemuMigration.MigCmd.postcopy_advise:
                pass
                self.data._fetch_instances()
            elif _on == QemuMigration.MigCmd.postcopy_ram_discard:
                pass
                self.data._fetch_instances()
            elif _on == QemuMigration.MigCmd.recv_bitmap:
                pass
                self.data._fetch_instances()
            else:
                pass


    class CompressedPage(KaitaiStruct):
        """A zlib-compressed page (the compress capability, QEMU 9.0 and older)."""
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.CompressedPage, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.len = self._io.read_u4be()
            self.data = self._io.read_bytes(self.len)


        def _fetch_instances(self):
            pass


    class ConfigCapabilities(KaitaiStruct):
        """configuration/capabilities, the migration capabilities the destination must match."""
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.ConfigCapabilities, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.count = self._io.read_u4be()
            self.names = []
            for i in range(self.count):
                self.names.append(QemuMigration.Cstr(self._io, self, self._root))



        def _fetch_instances(self):
            pass
            for i in range(len(self.names)):
                pass
                self.names[i]._fetch_instances()



    class ConfigTargetPageBits(KaitaiStruct):
        """configuration/target-page-bits, sent by variable-page-size targets."""
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.ConfigTargetPageBits, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.bits = self._io.read_u4be()


        def _fetch_instances(self):
            pass


    class ConfigUnknown(KaitaiStruct):
        """A configuration subsection no known QEMU sends; its length cannot be known."""
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.ConfigUnknown, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.unknown = self._io.read_bytes(0)
            _ = self.unknown
            if not False:
                raise kaitaistruct.ValidationExprError(self.unknown, self._io, u"/types/config_unknown/seq/0")


        def _fetch_instances(self):
            pass


    class ConfigUuid(KaitaiStruct):
        """configuration/uuid, sent with validate-uuid and -uuid."""
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.ConfigUuid, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.uuid = self._io.read_bytes(16)


        def _fetch_instances(self):
            pass


    class ConfigurationRecord(KaitaiStruct):
        """QEMU_VM_CONFIGURATION, right after the header (absent for machine types 2.3 and older).
        The machine type name, then optional subsections.
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.ConfigurationRecord, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.rec_type = self._io.read_bytes(1)
            if not self.rec_type == b"\x07":
                raise kaitaistruct.ValidationNotEqualError(b"\x07", self.rec_type, self._io, u"/types/configuration_record/seq/0")
            self.name_len = self._io.read_u4be()
            self.machine_type = self._io.read_bytes(self.name_len)
            if  (((not (self._io.is_eof()))) and (self.peek_subsection == 5)) :
                pass
                self.subsections = []
                i = 0
                while True:
                    _ = QemuMigration.ConfigurationSubsection(self._io, self, self._root)
                    self.subsections.append(_)
                    if  ((self._io.is_eof()) or (_.peek_next != 5)) :
                        break
                    i += 1



        def _fetch_instances(self):
            pass
            if  (((not (self._io.is_eof()))) and (self.peek_subsection == 5)) :
                pass
                for i in range(len(self.subsections)):
                    pass
                    self.subsections[i]._fetch_instances()


            _ = self.peek_subsection
            if hasattr(self, '_m_peek_subsection'):
                pass


        @property
        def peek_subsection(self):
            if hasattr(self, '_m_peek_subsection'):
                return self._m_peek_subsection

            _pos = self._io.pos()
            self._io.seek(self._io.pos())
            self._m_peek_subsection = self._io.read_u1()
            self._io.seek(_pos)
            return getattr(self, '_m_peek_subsection', None)


    class ConfigurationSubsection(KaitaiStruct):
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.ConfigurationSubsection, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.header = QemuMigration.SubsectionHeader(self._io, self, self._root)
            _on = self.header.name.text
            if _on == u"configuration/capabilities":
                pass
                self.body = QemuMigration.ConfigCapabilities(self._io, self, self._root)
            elif _on == u"configuration/target-page-bits":
                pass
                self.body = QemuMigration.ConfigTargetPageBits(self._io, self, self._root)
            elif _on == u"configuration/uuid":
                pass
                self.body = QemuMigration.ConfigUuid(self._io, self, self._root)
            else:
                pass
                self.body = QemuMigration.ConfigUnknown(self._io, self, self._root)


        def _fetch_instances(self):
            pass
            self.header._fetch_instances()
            _on = self.header.name.text
            if _on == u"configuration/capabilities":
                pass
                self.body._fetch_instances()
            elif _on == u"configuration/target-page-bits":
                pass
                self.body._fetch_instances()
            elif _on == u"configuration/uuid":
                pass
                self.body._fetch_instances()
            else:
                pass
                self.body._fetch_instances()
            _ = self.peek_next
            if hasattr(self, '_m_peek_next'):
                pass


        @property
        def peek_next(self):
            if hasattr(self, '_m_peek_next'):
                return self._m_peek_next

            if (not (self._io.is_eof())):
                pass
                _pos = self._io.pos()
                self._io.seek(self._io.pos())
                self._m_peek_next = self._io.read_u1()
                self._io.seek(_pos)

            return getattr(self, '_m_peek_next', None)


    class Cstr(KaitaiStruct):
        """A counted string, at most 255 bytes, no terminator. QEMU refuses an empty one."""
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.Cstr, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.len = self._io.read_u1()
            if not self.len >= 1:
                raise kaitaistruct.ValidationLessThanError(1, self.len, self._io, u"/types/cstr/seq/0")
            self.value = self._io.read_bytes(self.len)


        def _fetch_instances(self):
            pass

        @property
        def text(self):
            """The bytes as text; Latin-1 maps every byte, so hostile names cannot fail to decode."""
            if hasattr(self, '_m_text'):
                return self._m_text

            self._m_text = (self.value).decode(u"ISO-8859-1")
            return getattr(self, '_m_text', None)


    class DiscardRange(KaitaiStruct):
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.DiscardRange, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.start = self._io.read_u8be()
            self.length = self._io.read_u8be()


        def _fetch_instances(self):
            pass


    class FileHeader(KaitaiStruct):
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.FileHeader, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.magic = self._io.read_bytes(4)
            if not self.magic == b"\x51\x45\x56\x4D":
                raise kaitaistruct.ValidationNotEqualError(b"\x51\x45\x56\x4D", self.magic, self._io, u"/types/file_header/seq/0")
            self.version = self._io.read_u4be()
            if not self.version == 3:
                raise kaitaistruct.ValidationNotEqualError(3, self.version, self._io, u"/types/file_header/seq/1")


        def _fetch_instances(self):
            pass


    class MappedRamHeader(KaitaiStruct):
        """Where a mapped-ram block keeps its bitmap and pages, as absolute file offsets."""
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.MappedRamHeader, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.version = self._io.read_u4be()
            if not self.version == 1:
                raise kaitaistruct.ValidationNotEqualError(1, self.version, self._io, u"/types/mapped_ram_header/seq/0")
            self.page_size = self._io.read_u8be()
            self.bitmap_offset = self._io.read_u8be()
            self.pages_offset = self._io.read_u8be()


        def _fetch_instances(self):
            pass


    class Package(KaitaiStruct):
        """The payload of a PACKAGED command: records with no header, EOF or vmdesc, which the
        destination loads as if they were part of the main stream. QEMU never nests packages.
        """
        def __init__(self, ram_section_id_before, body_index_before, _io, _parent=None, _root=None):
            super(QemuMigration.Package, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.ram_section_id_before = ram_section_id_before
            self.body_index_before = body_index_before
            self._read()

        def _read(self):
            self.records = []
            i = 0
            while not self._io.is_eof():
                self.records.append(QemuMigration.PackagedRecord((self.ram_section_id_before if i == 0 else self.records[i - 1].ram_section_id_after), (self.body_index_before if i == 0 else self.records[i - 1].body_index_after), self._io.pos(), self._io, self, self._root))
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.records)):
                pass
                self.records[i]._fetch_instances()


        @property
        def body_index_after(self):
            if hasattr(self, '_m_body_index_after'):
                return self._m_body_index_after

            self._m_body_index_after = (self.body_index_before if len(self.records) == 0 else self.records[-1].body_index_after)
            return getattr(self, '_m_body_index_after', None)

        @property
        def ram_section_id_after(self):
            if hasattr(self, '_m_ram_section_id_after'):
                return self._m_ram_section_id_after

            self._m_ram_section_id_after = (self.ram_section_id_before if len(self.records) == 0 else self.records[-1].ram_section_id_after)
            return getattr(self, '_m_ram_section_id_after', None)


    class PackagedRecord(KaitaiStruct):
        """A record inside a PACKAGED payload; the same as a top-level one less EOF and PACKAGED."""
        def __init__(self, ram_section_id_before, body_index_before, offset, _io, _parent=None, _root=None):
            super(QemuMigration.PackagedRecord, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.ram_section_id_before = ram_section_id_before
            self.body_index_before = body_index_before
            self.offset = offset
            self._read()

        def _read(self):
            self.rec_type = KaitaiStream.resolve_enum(QemuMigration.RecordType, self._io.read_u1())
            if not  ((self.rec_type == QemuMigration.RecordType.section_start) or (self.rec_type == QemuMigration.RecordType.section_part) or (self.rec_type == QemuMigration.RecordType.section_end) or (self.rec_type == QemuMigration.RecordType.section_full) or (self.rec_type == QemuMigration.RecordType.command)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.rec_type, self._io, u"/types/packaged_record/seq/0")
            if self.rec_type != QemuMigration.RecordType.command:
                pass
                self.section = QemuMigration.SectionRecord(int(self.rec_type), self.ram_section_id_before, self.body_index_before, self._io, self, self._root)

            if self.rec_type == QemuMigration.RecordType.command:
                pass
                self.command = QemuMigration.Command(self._io, self, self._root)

            if self.rec_type == QemuMigration.RecordType.command:
                pass
                self.not_packaged = self._io.read_bytes(0)
                _ = self.not_packaged
                if not self.command.cmd != QemuMigration.MigCmd.packaged:
                    raise kaitaistruct.ValidationExprError(self.not_packaged, self._io, u"/types/packaged_record/seq/3")



        def _fetch_instances(self):
            pass
            if self.rec_type != QemuMigration.RecordType.command:
                pass
                self.section._fetch_instances()

            if self.rec_type == QemuMigration.RecordType.command:
                pass
                self.command._fetch_instances()

            if self.rec_type == QemuMigration.RecordType.command:
                pass


        @property
        def body_index_after(self):
            if hasattr(self, '_m_body_index_after'):
                return self._m_body_index_after

            self._m_body_index_after = (self.section.body_index_after if self.rec_type != QemuMigration.RecordType.command else self.body_index_before)
            return getattr(self, '_m_body_index_after', None)

        @property
        def ram_section_id_after(self):
            if hasattr(self, '_m_ram_section_id_after'):
                return self._m_ram_section_id_after

            self._m_ram_section_id_after = (self.section.ram_section_id_after if self.rec_type != QemuMigration.RecordType.command else self.ram_section_id_before)
            return getattr(self, '_m_ram_section_id_after', None)


    class RamBlock(KaitaiStruct):
        def __init__(self, length_sum_before, ignore_shared, mapped_ram, _io, _parent=None, _root=None):
            super(QemuMigration.RamBlock, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.length_sum_before = length_sum_before
            self.ignore_shared = ignore_shared
            self.mapped_ram = mapped_ram
            self._read()

        def _read(self):
            self.name = QemuMigration.Cstr(self._io, self, self._root)
            self.used_length = self._io.read_u8be()
            if self.ignore_shared:
                pass
                self.guest_address = self._io.read_u8be()

            if self.mapped_ram:
                pass
                self.mapped = QemuMigration.MappedRamHeader(self._io, self, self._root)

            if  ((self.mapped_ram) and (self.mapped.pages_offset != 0)) :
                pass
                self.mapped_region = self._io.read_bytes((self.mapped.pages_offset + self.used_length) - self._io.pos())



        def _fetch_instances(self):
            pass
            self.name._fetch_instances()
            if self.ignore_shared:
                pass

            if self.mapped_ram:
                pass
                self.mapped._fetch_instances()

            if  ((self.mapped_ram) and (self.mapped.pages_offset != 0)) :
                pass


        @property
        def length_sum_after(self):
            if hasattr(self, '_m_length_sum_after'):
                return self._m_length_sum_after

            self._m_length_sum_after = self.length_sum_before + self.used_length
            return getattr(self, '_m_length_sum_after', None)


    class RamBlockList(KaitaiStruct):
        """The blocks announced by MEM_SIZE, until their lengths add up to the total."""
        def __init__(self, total, ignore_shared, mapped_ram, _io, _parent=None, _root=None):
            super(QemuMigration.RamBlockList, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.total = total
            self.ignore_shared = ignore_shared
            self.mapped_ram = mapped_ram
            self._read()

        def _read(self):
            self.blocks = []
            i = 0
            while True:
                _ = QemuMigration.RamBlock((0 if i == 0 else self.blocks[i - 1].length_sum_after), self.ignore_shared, self.mapped_ram, self._io, self, self._root)
                self.blocks.append(_)
                if _.length_sum_after >= self.total:
                    break
                i += 1


        def _fetch_instances(self):
            pass
            for i in range(len(self.blocks)):
                pass
                self.blocks[i]._fetch_instances()



    class RamRecord(KaitaiStruct):
        """One RAM record: a be64 holding a page-aligned offset in its block and RAM_SAVE_FLAG_* in
        the bits below the page size, then what those flags call for.
        """
        def __init__(self, page_size, ignore_shared, mapped_ram, _io, _parent=None, _root=None):
            super(QemuMigration.RamRecord, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.page_size = page_size
            self.ignore_shared = ignore_shared
            self.mapped_ram = mapped_ram
            self._read()

        def _read(self):
            self.addr_flags = self._io.read_u8be()
            self.kind_check = self._io.read_bytes(0)
            _ = self.kind_check
            if not  ((self.kind == 2) or (self.kind == 4) or (self.kind == 8) or (self.kind == 16) or (self.kind == 64) or (self.kind == 128) or (self.kind == 256) or (self.kind == 512)) :
                raise kaitaistruct.ValidationExprError(self.kind_check, self._io, u"/types/ram_record/seq/1")
            if  ((self.kind == 4) and (self.offset > 0)) :
                pass
                self.block_list = QemuMigration.RamBlockList(self.offset, self.ignore_shared, self.mapped_ram, self._io, self, self._root)

            if  ((self.has_page) and ((not (self.is_continue)))) :
                pass
                self.block_name = QemuMigration.Cstr(self._io, self, self._root)

            if self.kind == 2:
                pass
                self.zero_fill = self._io.read_u1()

            if self.kind == 8:
                pass
                self.page = self._io.read_bytes(self.page_size)

            if self.kind == 64:
                pass
                self.xbzrle = QemuMigration.XbzrlePage(self._io, self, self._root)

            if self.kind == 256:
                pass
                self.compressed = QemuMigration.CompressedPage(self._io, self, self._root)



        def _fetch_instances(self):
            pass
            if  ((self.kind == 4) and (self.offset > 0)) :
                pass
                self.block_list._fetch_instances()

            if  ((self.has_page) and ((not (self.is_continue)))) :
                pass
                self.block_name._fetch_instances()

            if self.kind == 2:
                pass

            if self.kind == 8:
                pass

            if self.kind == 64:
                pass
                self.xbzrle._fetch_instances()

            if self.kind == 256:
                pass
                self.compressed._fetch_instances()


        @property
        def flags(self):
            if hasattr(self, '_m_flags'):
                return self._m_flags

            self._m_flags = self.addr_flags & self.page_size - 1
            return getattr(self, '_m_flags', None)

        @property
        def has_page(self):
            if hasattr(self, '_m_has_page'):
                return self._m_has_page

            self._m_has_page =  ((self.kind == 2) or (self.kind == 8) or (self.kind == 64) or (self.kind == 256)) 
            return getattr(self, '_m_has_page', None)

        @property
        def is_continue(self):
            if hasattr(self, '_m_is_continue'):
                return self._m_is_continue

            self._m_is_continue = self.flags & 32 != 0
            return getattr(self, '_m_is_continue', None)

        @property
        def is_eos(self):
            if hasattr(self, '_m_is_eos'):
                return self._m_is_eos

            self._m_is_eos = self.kind == 16
            return getattr(self, '_m_is_eos', None)

        @property
        def kind(self):
            """The flags less CONTINUE (0x20). Every bit below the page size counts: QEMU refuses
            bits it does not know (0x400 and up on x86 too).
            """
            if hasattr(self, '_m_kind'):
                return self._m_kind

            self._m_kind = self.flags - (self.flags & 32)
            return getattr(self, '_m_kind', None)

        @property
        def offset(self):
            """Offset in the block; for MEM_SIZE, the total length of all blocks."""
            if hasattr(self, '_m_offset'):
                return self._m_offset

            self._m_offset = self.addr_flags - self.flags
            return getattr(self, '_m_offset', None)


    class RamSectionBody(KaitaiStruct):
        """Body of a "ram" START, PART or END record; ends with an EOS record."""
        def __init__(self, page_size, ignore_shared, mapped_ram, _io, _parent=None, _root=None):
            super(QemuMigration.RamSectionBody, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.page_size = page_size
            self.ignore_shared = ignore_shared
            self.mapped_ram = mapped_ram
            self._read()

        def _read(self):
            self.records = []
            i = 0
            while True:
                _ = QemuMigration.RamRecord(self.page_size, self.ignore_shared, self.mapped_ram, self._io, self, self._root)
                self.records.append(_)
                if _.is_eos:
                    break
                i += 1


        def _fetch_instances(self):
            pass
            for i in range(len(self.records)):
                pass
                self.records[i]._fetch_instances()



    class Record(KaitaiStruct):
        """One top-level record. The two parameters carry state from the previous record."""
        def __init__(self, ram_section_id_before, body_index_before, offset, _io, _parent=None, _root=None):
            super(QemuMigration.Record, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.ram_section_id_before = ram_section_id_before
            self.body_index_before = body_index_before
            self.offset = offset
            self._read()

        def _read(self):
            self.rec_type = KaitaiStream.resolve_enum(QemuMigration.RecordType, self._io.read_u1())
            if not  ((self.rec_type == QemuMigration.RecordType.eof) or (self.rec_type == QemuMigration.RecordType.section_start) or (self.rec_type == QemuMigration.RecordType.section_part) or (self.rec_type == QemuMigration.RecordType.section_end) or (self.rec_type == QemuMigration.RecordType.section_full) or (self.rec_type == QemuMigration.RecordType.command)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.rec_type, self._io, u"/types/record/seq/0")
            if self.is_section:
                pass
                self.section = QemuMigration.SectionRecord(int(self.rec_type), self.ram_section_id_before, self.body_index_before, self._io, self, self._root)

            if self.rec_type == QemuMigration.RecordType.command:
                pass
                self.command = QemuMigration.Command(self._io, self, self._root)

            if self.is_packaged:
                pass
                self._raw_package = self._io.read_bytes(self.command.data.length)
                _io__raw_package = KaitaiStream(BytesIO(self._raw_package))
                self.package = QemuMigration.Package(self.ram_section_id_before, self.body_index_before, _io__raw_package, self, self._root)



        def _fetch_instances(self):
            pass
            if self.is_section:
                pass
                self.section._fetch_instances()

            if self.rec_type == QemuMigration.RecordType.command:
                pass
                self.command._fetch_instances()

            if self.is_packaged:
                pass
                self.package._fetch_instances()


        @property
        def body_index_after(self):
            if hasattr(self, '_m_body_index_after'):
                return self._m_body_index_after

            self._m_body_index_after = (self.section.body_index_after if self.is_section else (self.package.body_index_after if self.is_packaged else self.body_index_before))
            return getattr(self, '_m_body_index_after', None)

        @property
        def is_packaged(self):
            if hasattr(self, '_m_is_packaged'):
                return self._m_is_packaged

            self._m_is_packaged =  ((self.rec_type == QemuMigration.RecordType.command) and (self.command.cmd == QemuMigration.MigCmd.packaged)) 
            return getattr(self, '_m_is_packaged', None)

        @property
        def is_section(self):
            if hasattr(self, '_m_is_section'):
                return self._m_is_section

            self._m_is_section =  ((self.rec_type == QemuMigration.RecordType.section_start) or (self.rec_type == QemuMigration.RecordType.section_full) or (self.rec_type == QemuMigration.RecordType.section_part) or (self.rec_type == QemuMigration.RecordType.section_end)) 
            return getattr(self, '_m_is_section', None)

        @property
        def ram_section_id_after(self):
            if hasattr(self, '_m_ram_section_id_after'):
                return self._m_ram_section_id_after

            self._m_ram_section_id_after = (self.section.ram_section_id_after if self.is_section else (self.package.ram_section_id_after if self.is_packaged else self.ram_section_id_before))
            return getattr(self, '_m_ram_section_id_after', None)


    class SectionFooter(KaitaiStruct):
        """QEMU_VM_SECTION_FOOTER, sent after each section body by machine types 2.4 and newer."""
        def __init__(self, expected_section_id, _io, _parent=None, _root=None):
            super(QemuMigration.SectionFooter, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.expected_section_id = expected_section_id
            self._read()

        def _read(self):
            self.tag = self._io.read_bytes(1)
            if not self.tag == b"\x7E":
                raise kaitaistruct.ValidationNotEqualError(b"\x7E", self.tag, self._io, u"/types/section_footer/seq/0")
            self.section_id = self._io.read_u4be()
            if not self.section_id == self.expected_section_id:
                raise kaitaistruct.ValidationNotEqualError(self.expected_section_id, self.section_id, self._io, u"/types/section_footer/seq/1")


        def _fetch_instances(self):
            pass


    class SectionPartHeader(KaitaiStruct):
        """Header of a PART or END record; routed by the section_id of an earlier START."""
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.SectionPartHeader, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.section_id = self._io.read_u4be()


        def _fetch_instances(self):
            pass


    class SectionRecord(KaitaiStruct):
        """What follows the type byte of a START, PART, END or FULL record."""
        def __init__(self, rec_type, ram_section_id_before, body_index_before, _io, _parent=None, _root=None):
            super(QemuMigration.SectionRecord, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.rec_type = rec_type
            self.ram_section_id_before = ram_section_id_before
            self.body_index_before = body_index_before
            self._read()

        def _read(self):
            if  ((self.rec_type == 1) or (self.rec_type == 4)) :
                pass
                self.start = QemuMigration.SectionStartHeader(self._io, self, self._root)

            if  ((self.rec_type == 2) or (self.rec_type == 3)) :
                pass
                self.part = QemuMigration.SectionPartHeader(self._io, self, self._root)

            if self.is_ram:
                pass
                self.ram = QemuMigration.RamSectionBody(self._root.page_size, self._root.ignore_shared, self._root.mapped_ram, self._io, self, self._root)

            if (not (self.is_ram)):
                pass
                self.body = self._io.read_bytes(self._root.body_sizes[self.body_index_before])

            if self._root.section_footers:
                pass
                self.footer = QemuMigration.SectionFooter(self.section_id, self._io, self, self._root)



        def _fetch_instances(self):
            pass
            if  ((self.rec_type == 1) or (self.rec_type == 4)) :
                pass
                self.start._fetch_instances()

            if  ((self.rec_type == 2) or (self.rec_type == 3)) :
                pass
                self.part._fetch_instances()

            if self.is_ram:
                pass
                self.ram._fetch_instances()

            if (not (self.is_ram)):
                pass

            if self._root.section_footers:
                pass
                self.footer._fetch_instances()


        @property
        def body_index_after(self):
            if hasattr(self, '_m_body_index_after'):
                return self._m_body_index_after

            self._m_body_index_after = (self.body_index_before if self.is_ram else self.body_index_before + 1)
            return getattr(self, '_m_body_index_after', None)

        @property
        def is_ram(self):
            if hasattr(self, '_m_is_ram'):
                return self._m_is_ram

            self._m_is_ram =  (( ((self.rec_type == 1) and (self.start.idstr.text == u"ram")) ) or ( (( ((self.rec_type == 2) or (self.rec_type == 3)) ) and (self.part.section_id == self.ram_section_id_before)) )) 
            return getattr(self, '_m_is_ram', None)

        @property
        def ram_section_id_after(self):
            if hasattr(self, '_m_ram_section_id_after'):
                return self._m_ram_section_id_after

            self._m_ram_section_id_after = (self.start.section_id if  ((self.rec_type == 1) and (self.is_ram))  else self.ram_section_id_before)
            return getattr(self, '_m_ram_section_id_after', None)

        @property
        def section_id(self):
            if hasattr(self, '_m_section_id'):
                return self._m_section_id

            self._m_section_id = (self.start.section_id if  ((self.rec_type == 1) or (self.rec_type == 4))  else self.part.section_id)
            return getattr(self, '_m_section_id', None)


    class SectionStartHeader(KaitaiStruct):
        """Header of a START or FULL record."""
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.SectionStartHeader, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.section_id = self._io.read_u4be()
            self.idstr = QemuMigration.Cstr(self._io, self, self._root)
            self.instance_id = self._io.read_u4be()
            self.version_id = self._io.read_u4be()


        def _fetch_instances(self):
            pass
            self.idstr._fetch_instances()


    class SubsectionHeader(KaitaiStruct):
        """Opens an optional part of a VMState body (QEMU_VM_SUBSECTION). Its fields follow, laid
        out by the subsection's own vmsd. The loader keeps only the low 8 bits of the version.
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.SubsectionHeader, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.tag = self._io.read_bytes(1)
            if not self.tag == b"\x05":
                raise kaitaistruct.ValidationNotEqualError(b"\x05", self.tag, self._io, u"/types/subsection_header/seq/0")
            self.name = QemuMigration.Cstr(self._io, self, self._root)
            self.version_id = self._io.read_u4be()


        def _fetch_instances(self):
            pass
            self.name._fetch_instances()


    class VmdescRecord(KaitaiStruct):
        """QEMU_VM_VMDESCRIPTION, written after EOF; the JSON describes every device body."""
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.VmdescRecord, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.rec_type = self._io.read_bytes(1)
            if not self.rec_type == b"\x06":
                raise kaitaistruct.ValidationNotEqualError(b"\x06", self.rec_type, self._io, u"/types/vmdesc_record/seq/0")
            self.len = self._io.read_u4be()
            self.json = self._io.read_bytes(self.len)


        def _fetch_instances(self):
            pass


    class XbzrlePage(KaitaiStruct):
        """A page encoded against the previous copy of itself."""
        def __init__(self, _io, _parent=None, _root=None):
            super(QemuMigration.XbzrlePage, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.encoding = self._io.read_u1()
            if not self.encoding == 1:
                raise kaitaistruct.ValidationNotEqualError(1, self.encoding, self._io, u"/types/xbzrle_page/seq/0")
            self.len = self._io.read_u2be()
            self.data = self._io.read_bytes(self.len)


        def _fetch_instances(self):
            pass


    @property
    def peek_record_type(self):
        if hasattr(self, '_m_peek_record_type'):
            return self._m_peek_record_type

        _pos = self._io.pos()
        self._io.seek(self._io.pos())
        self._m_peek_record_type = KaitaiStream.resolve_enum(QemuMigration.RecordType, self._io.read_u1())
        self._io.seek(_pos)
        return getattr(self, '_m_peek_record_type', None)


