"""Spreadsheet cell safety shared by every CSV / XLSX export.

A cell that starts with ``= + - @`` (or tab / carriage return) is evaluated as a formula by spreadsheet
programs (CSV injection); ``neutralize`` prefixes such text with an apostrophe so it stays plain text.
"""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value):
    """A cell value safe for spreadsheets: text starting with a formula character gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
