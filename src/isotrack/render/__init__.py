"""Rendering: turn the domain's plain data into text, tables, JSON... Nothing here decides."""
