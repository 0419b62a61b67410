"""Cells of the CSV files the console returns (statistics, the registry's log): text that a
spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) is
prefixed with ' so that it is shown as text, never run (CSV/formula injection: the names in
these files are typed by other people)."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """A CSV cell that a spreadsheet will not run."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    text = str(value)
    if text[:1] in FORMULA_STARTS:
        return "'" + text
    return text
