"""Render decoded streams, differences and verdicts as text, JSON and Markdown.

Imports vmdiff.model and the packages that produce what it renders; never textual.
"""
