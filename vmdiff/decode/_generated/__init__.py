"""Parsers generated from ksy/*.ksy by tools/ksc/compile.mjs; never edit by hand."""
