"""One module per family of checks a destination makes while loading a stream.

machine: the CONFIGURATION record; ram: the RAM block list; commands: COMMAND records;
sections: which sections exist and their versions; subsections: subsection names and versions,
walked through a section's fields; values: field values the destination compares with its own;
lengths: array and buffer lengths; host: whether a KVM host can really restore an x86 CPU
subsection; hints: which compat property would have stopped the source.
"""
