"""Machinery shared by every agency module: contract, formats, checks, writers."""
