"""The full-screen app (``vmdiff tui``): browse a capture, compare two, see verdicts.

The only package that imports Textual; it may import anything in vmdiff except the CLI.
Modules without Textual (outline, from_stream, sources, export) are usable on their own.
"""
