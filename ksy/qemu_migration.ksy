meta:
  id: qemu_migration
  title: QEMU live-migration stream ("QEVM", file version 3), QEMU 2.4 to 10.x
  endian: be
  license: GPL-2.0-or-later
doc: |
  The main channel of a QEMU live migration, as written by `migrate` to exec:, fd:, file: or a
  socket. Every integer is big-endian; nothing is aligned or padded; sections carry no length.

  The root type parses a whole stream in one go. It needs what the wire does not say: the size of
  each device body (VMState data has no length prefix: only the field layout, e.g. the stream's
  own vmdesc JSON, tells where it ends), the target page size, which RAM capabilities were on
  and whether sections carry footers.
  vmdiff's reader (vmdiff/decode) streams the same types one record at a time, with those facts
  worked out as it goes; a test checks that both readings agree on every sample.
doc-ref: ../docs/stream-format.md

params:
  - id: page_size
    type: u4
    doc: Target page size (4096 on x86); RAM flags live in the low bits below it.
  - id: ignore_shared
    type: bool
    doc: The x-ignore-shared capability was on (RAM blocks carry their guest address).
  - id: mapped_ram
    type: bool
    doc: The mapped-ram capability was on (RAM lives at fixed file offsets).
  - id: section_footers
    type: bool
    doc: |
      Sections end with a footer (machine types 2.4 and newer). The destination decides from
      its own machine type, so the wire does not say; a reader can tell from the first section.
  - id: body_sizes
    type: u4[]
    doc: Size of each non-RAM section body, in stream order.

seq:
  - id: header
    type: file_header
  - id: configuration
    type: configuration_record
    if: peek_record_type == record_type::configuration
  - id: records
    type: 'record(_index == 0 ? -1 : records[_index - 1].ram_section_id_after, _index == 0 ? 0 : records[_index - 1].body_index_after, _io.pos)'
    repeat: until
    repeat-until: _.rec_type == record_type::eof
  - id: vmdesc
    type: vmdesc_record
    if: not _io.eof

instances:
  peek_record_type:
    pos: _io.pos
    type: u1
    enum: record_type

types:
  cstr:
    doc: A counted string, at most 255 bytes, no terminator. QEMU refuses an empty one.
    seq:
      - id: len
        type: u1
        valid:
          min: 1
      - id: value
        size: len
    instances:
      text:
        value: value.to_s("ISO-8859-1")
        doc: The bytes as text; Latin-1 maps every byte, so hostile names cannot fail to decode.

  file_header:
    seq:
      - id: magic
        contents: QEVM
      - id: version
        type: u4
        valid: 3
        doc: QEMU_VM_FILE_VERSION. Version 2 streams are refused by every QEMU since 2.x.

  record:
    doc: One top-level record. The two parameters carry state from the previous record.
    params:
      - id: ram_section_id_before
        type: s8
        doc: section_id of the "ram" START seen so far, or -1.
      - id: body_index_before
        type: u4
        doc: How many non-RAM section bodies came before this record.
      - id: offset
        type: u8
        doc: Where the record starts (parameters are evaluated before the record is read).
    seq:
      - id: rec_type
        type: u1
        enum: record_type
        valid:
          any-of:
            - record_type::eof
            - record_type::section_start
            - record_type::section_part
            - record_type::section_end
            - record_type::section_full
            - record_type::command
      - id: section
        type: section_record(rec_type.to_i, ram_section_id_before, body_index_before)
        if: is_section
      - id: command
        type: command
        if: rec_type == record_type::command
      - id: package
        size: command.data.as<cmd_packaged>.length
        type: package(ram_section_id_before, body_index_before)
        if: is_packaged
        doc: The records a PACKAGED command carries (postcopy's device state), in a substream.
    instances:
      is_section:
        value: >-
          rec_type == record_type::section_start or rec_type == record_type::section_full
          or rec_type == record_type::section_part or rec_type == record_type::section_end
      is_packaged:
        value: rec_type == record_type::command and command.cmd == mig_cmd::packaged
      ram_section_id_after:
        value: 'is_section ? section.ram_section_id_after : (is_packaged ? package.ram_section_id_after : ram_section_id_before)'
      body_index_after:
        value: 'is_section ? section.body_index_after : (is_packaged ? package.body_index_after : body_index_before)'

  package:
    doc: |
      The payload of a PACKAGED command: records with no header, EOF or vmdesc, which the
      destination loads as if they were part of the main stream. QEMU never nests packages.
    params:
      - id: ram_section_id_before
        type: s8
      - id: body_index_before
        type: u4
    seq:
      - id: records
        type: 'packaged_record(_index == 0 ? ram_section_id_before : records[_index - 1].ram_section_id_after, _index == 0 ? body_index_before : records[_index - 1].body_index_after, _io.pos)'
        repeat: eos
    instances:
      ram_section_id_after:
        value: 'records.size == 0 ? ram_section_id_before : records.last.ram_section_id_after'
      body_index_after:
        value: 'records.size == 0 ? body_index_before : records.last.body_index_after'

  packaged_record:
    doc: A record inside a PACKAGED payload; the same as a top-level one less EOF and PACKAGED.
    params:
      - id: ram_section_id_before
        type: s8
      - id: body_index_before
        type: u4
      - id: offset
        type: u8
        doc: Where the record starts in the package.
    seq:
      - id: rec_type
        type: u1
        enum: record_type
        valid:
          any-of:
            - record_type::section_start
            - record_type::section_part
            - record_type::section_end
            - record_type::section_full
            - record_type::command
      - id: section
        type: section_record(rec_type.to_i, ram_section_id_before, body_index_before)
        if: rec_type != record_type::command
      - id: command
        type: command
        if: rec_type == record_type::command
      - id: not_packaged
        size: 0
        if: rec_type == record_type::command
        valid:
          expr: command.cmd != mig_cmd::packaged
    instances:
      ram_section_id_after:
        value: 'rec_type != record_type::command ? section.ram_section_id_after : ram_section_id_before'
      body_index_after:
        value: 'rec_type != record_type::command ? section.body_index_after : body_index_before'

  section_record:
    doc: What follows the type byte of a START, PART, END or FULL record.
    params:
      - id: rec_type
        type: u1
        doc: 1 START, 2 PART, 3 END, 4 FULL (record_type).
      - id: ram_section_id_before
        type: s8
      - id: body_index_before
        type: u4
    seq:
      - id: start
        type: section_start_header
        if: rec_type == 1 or rec_type == 4
      - id: part
        type: section_part_header
        if: rec_type == 2 or rec_type == 3
      - id: ram
        type: ram_section_body(_root.page_size, _root.ignore_shared, _root.mapped_ram)
        if: is_ram
      - id: body
        size: _root.body_sizes[body_index_before]
        if: not is_ram
        doc: A device body; its size comes from the layout (the wire does not say).
      - id: footer
        type: section_footer(section_id)
        if: _root.section_footers
    instances:
      section_id:
        value: 'rec_type == 1 or rec_type == 4 ? start.section_id : part.section_id'
      is_ram:
        value: >-
          (rec_type == 1 and start.idstr.text == "ram")
          or ((rec_type == 2 or rec_type == 3) and part.section_id == ram_section_id_before)
      ram_section_id_after:
        value: 'rec_type == 1 and is_ram ? start.section_id : ram_section_id_before'
      body_index_after:
        value: 'is_ram ? body_index_before : body_index_before + 1'

  section_start_header:
    doc: Header of a START or FULL record.
    seq:
      - id: section_id
        type: u4
        doc: Sender-local number; the destination matches sections by (idstr, instance_id).
      - id: idstr
        type: cstr
      - id: instance_id
        type: u4
      - id: version_id
        type: u4

  section_part_header:
    doc: Header of a PART or END record; routed by the section_id of an earlier START.
    seq:
      - id: section_id
        type: u4

  section_footer:
    doc: QEMU_VM_SECTION_FOOTER, sent after each section body by machine types 2.4 and newer.
    params:
      - id: expected_section_id
        type: u4
    seq:
      - id: tag
        contents: [0x7e]
      - id: section_id
        type: u4
        valid: expected_section_id

  subsection_header:
    doc: |
      Opens an optional part of a VMState body (QEMU_VM_SUBSECTION). Its fields follow, laid
      out by the subsection's own vmsd. The loader keeps only the low 8 bits of the version.
    seq:
      - id: tag
        contents: [0x05]
      - id: name
        type: cstr
      - id: version_id
        type: u4

  configuration_record:
    doc: |
      QEMU_VM_CONFIGURATION, right after the header (absent for machine types 2.3 and older).
      The machine type name, then optional subsections.
    seq:
      - id: rec_type
        contents: [0x07]
      - id: name_len
        type: u4
      - id: machine_type
        size: name_len
      - id: subsections
        type: configuration_subsection
        repeat: until
        repeat-until: _io.eof or _.peek_next != 0x05
        if: not _io.eof and peek_subsection == 0x05
    instances:
      peek_subsection:
        pos: _io.pos
        type: u1

  configuration_subsection:
    seq:
      - id: header
        type: subsection_header
      - id: body
        type:
          switch-on: header.name.text
          cases:
            '"configuration/target-page-bits"': config_target_page_bits
            '"configuration/capabilities"': config_capabilities
            '"configuration/uuid"': config_uuid
            _: config_unknown
    instances:
      peek_next:
        pos: _io.pos
        type: u1
        if: not _io.eof

  config_target_page_bits:
    doc: configuration/target-page-bits, sent by variable-page-size targets.
    seq:
      - id: bits
        type: u4

  config_capabilities:
    doc: configuration/capabilities, the migration capabilities the destination must match.
    seq:
      - id: count
        type: u4
      - id: names
        type: cstr
        repeat: expr
        repeat-expr: count

  config_uuid:
    doc: configuration/uuid, sent with validate-uuid and -uuid.
    seq:
      - id: uuid
        size: 16

  config_unknown:
    doc: A configuration subsection no known QEMU sends; its length cannot be known.
    seq:
      - id: unknown
        size: 0
        valid:
          expr: false

  command:
    doc: |
      QEMU_VM_COMMAND: be16 cmd, be16 len, len bytes of data. For PACKAGED the data is only the
      length of the records that follow it (record.package).
    seq:
      - id: cmd
        type: u2
        enum: mig_cmd
      - id: len
        type: u2
      - id: data
        size: len
        type:
          switch-on: cmd
          cases:
            mig_cmd::ping: cmd_ping
            mig_cmd::packaged: cmd_packaged
            mig_cmd::postcopy_advise: cmd_postcopy_advise
            mig_cmd::postcopy_ram_discard: cmd_ram_discard
            mig_cmd::recv_bitmap: cmd_recv_bitmap

  cmd_ping:
    seq:
      - id: value
        type: u4

  cmd_packaged:
    seq:
      - id: length
        type: u4

  cmd_postcopy_advise:
    doc: Empty for dirty-bitmap-only postcopy, else two page sizes.
    seq:
      - id: host_page_summary
        type: u8
        if: not _io.eof
      - id: target_page_size
        type: u8
        if: not _io.eof

  cmd_ram_discard:
    seq:
      - id: version
        type: u1
      - id: name_len
        type: u1
      - id: block_name
        size: name_len
      - id: terminator
        type: u1
      - id: ranges
        type: discard_range
        repeat: eos

  discard_range:
    seq:
      - id: start
        type: u8
      - id: length
        type: u8

  cmd_recv_bitmap:
    seq:
      - id: block_name
        type: cstr

  vmdesc_record:
    doc: QEMU_VM_VMDESCRIPTION, written after EOF; the JSON describes every device body.
    seq:
      - id: rec_type
        contents: [0x06]
      - id: len
        type: u4
      - id: json
        size: len

  ram_section_body:
    doc: Body of a "ram" START, PART or END record; ends with an EOS record.
    params:
      - id: page_size
        type: u4
      - id: ignore_shared
        type: bool
      - id: mapped_ram
        type: bool
    seq:
      - id: records
        type: ram_record(page_size, ignore_shared, mapped_ram)
        repeat: until
        repeat-until: _.is_eos

  ram_record:
    doc: |
      One RAM record: a be64 holding a page-aligned offset in its block and RAM_SAVE_FLAG_* in
      the bits below the page size, then what those flags call for.
    params:
      - id: page_size
        type: u4
      - id: ignore_shared
        type: bool
      - id: mapped_ram
        type: bool
    seq:
      - id: addr_flags
        type: u8
      - id: kind_check
        size: 0
        valid:
          expr: >-
            kind == 0x02 or kind == 0x04 or kind == 0x08 or kind == 0x10 or kind == 0x40
            or kind == 0x80 or kind == 0x100 or kind == 0x200
        doc: Any other combination is refused by the loader ("Unknown combination of migration flags").
      - id: block_list
        type: ram_block_list(offset, ignore_shared, mapped_ram)
        if: kind == 0x04 and offset > 0
      - id: block_name
        type: cstr
        if: has_page and not is_continue
      - id: zero_fill
        type: u1
        if: kind == 0x02
        doc: The byte the page is filled with. Senders write 0; QEMU 8.2+ refuses anything else.
      - id: page
        size: page_size
        if: kind == 0x08
      - id: xbzrle
        type: xbzrle_page
        if: kind == 0x40
      - id: compressed
        type: compressed_page
        if: kind == 0x100
    instances:
      flags:
        value: addr_flags & (page_size - 1)
      offset:
        value: addr_flags - flags
        doc: Offset in the block; for MEM_SIZE, the total length of all blocks.
      kind:
        value: flags - (flags & 0x20)
        doc: |
          The flags less CONTINUE (0x20). Every bit below the page size counts: QEMU refuses
          bits it does not know (0x400 and up on x86 too).
      is_continue:
        value: (flags & 0x20) != 0
      has_page:
        value: kind == 0x02 or kind == 0x08 or kind == 0x40 or kind == 0x100
      is_eos:
        value: kind == 0x10

  ram_block_list:
    doc: The blocks announced by MEM_SIZE, until their lengths add up to the total.
    params:
      - id: total
        type: u8
      - id: ignore_shared
        type: bool
      - id: mapped_ram
        type: bool
    seq:
      - id: blocks
        type: 'ram_block(_index == 0 ? 0 : blocks[_index - 1].length_sum_after, ignore_shared, mapped_ram)'
        repeat: until
        repeat-until: _.length_sum_after >= total

  ram_block:
    params:
      - id: length_sum_before
        type: u8
      - id: ignore_shared
        type: bool
      - id: mapped_ram
        type: bool
    seq:
      - id: name
        type: cstr
      - id: used_length
        type: u8
      - id: guest_address
        type: u8
        if: ignore_shared
        doc: The block's guest-physical address, checked by the destination (x-ignore-shared).
      - id: mapped
        type: mapped_ram_header
        if: mapped_ram
      - id: mapped_region
        size: mapped.pages_offset + used_length - _io.pos
        if: mapped_ram and mapped.pages_offset != 0
        doc: |
          The dirty bitmap and the page area of a mapped-ram block. The sender moves the file
          position to the end of the page area before it names the next block.
    instances:
      length_sum_after:
        value: length_sum_before + used_length

  mapped_ram_header:
    doc: Where a mapped-ram block keeps its bitmap and pages, as absolute file offsets.
    seq:
      - id: version
        type: u4
        valid: 1
      - id: page_size
        type: u8
      - id: bitmap_offset
        type: u8
      - id: pages_offset
        type: u8

  xbzrle_page:
    doc: A page encoded against the previous copy of itself.
    seq:
      - id: encoding
        type: u1
        valid: 1
      - id: len
        type: u2
      - id: data
        size: len

  compressed_page:
    doc: A zlib-compressed page (the compress capability, QEMU 9.0 and older).
    seq:
      - id: len
        type: u4
      - id: data
        size: len

enums:
  record_type:
    0x00: eof
    0x01: section_start
    0x02: section_part
    0x03: section_end
    0x04: section_full
    0x05: subsection
    0x06: vmdescription
    0x07: configuration
    0x08: command
    0x7e: section_footer

  mig_cmd:
    0: invalid
    1: open_return_path
    2: ping
    3: postcopy_advise
    4: postcopy_listen
    5: postcopy_run
    6: postcopy_ram_discard
    7: packaged
    8: enable_colo
    9: postcopy_resume
    10: recv_bitmap
    11: switchover_start
