"""JSON written by people (an uploaded export, the error queue's corrected order), read once for every caller.

Python's ``json`` accepts what PostgreSQL's ``jsonb`` cannot store (``NaN``, ``Infinity``, ``"\\u0000"``, a lone
``"\\ud800"``) and gives up with a ``RecursionError`` on deep nesting; ``load_json`` refuses all of these with a
message for the reader (``JsonTextError.message``), so what it returns can be stored and walked safely.
"""

import json
import math

from django.utils.translation import gettext as _

MAX_DEPTH = 32  # an order is 4 levels deep; real exports stay well under this
MAX_NUMBER_CHARS = 40


class JsonTextError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _Refused(Exception):
    def __init__(self, message: str):
        self.message = message


def _constant(name: str):
    raise _Refused(_("%(value)s is not a number that can be stored: write the amount itself.") % {"value": name})


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(_("The number %(value)s… is too long.") % {"value": text[:20]})
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if len(text) > MAX_NUMBER_CHARS or not math.isfinite(value):
        raise _Refused(_("The number %(value)s is too large.") % {"value": text[:20]})
    return value


def _where(path: str) -> str:
    return path or _("the top level")


def _check(document) -> None:
    """Depth, NUL characters and lone surrogates, in keys and values (without recursion)."""
    stack = [(document, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise JsonTextError(_("The JSON is nested more than %(n)s levels deep.") % {"n": MAX_DEPTH})
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key, path)
                    child = f"{path}.{key}" if path else key
                else:
                    child = f"{path}[{key}]"
                stack.append((item, child, depth + 1))
        elif isinstance(value, str):
            _check_text(value, path)


def _check_text(text: str, path: str) -> None:
    if "\x00" in text:
        raise JsonTextError(_("The JSON holds a NUL character (\\u0000) in %(field)s: remove it.")
                            % {"field": _where(path)})
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonTextError(_("The JSON holds an invalid character (a lone \\ud800-style escape) in %(field)s.")
                            % {"field": _where(path)}) from None


def load_json(text: str):
    """The value of ``text``, or ``JsonTextError`` naming what is wrong and where."""
    if "\x00" in text:
        raise JsonTextError(_("The JSON holds a NUL character: remove it."))
    try:
        document = json.loads(text, parse_constant=_constant, parse_int=_int, parse_float=_float)
    except _Refused as exc:
        raise JsonTextError(exc.message) from None
    except json.JSONDecodeError as exc:
        raise JsonTextError(_("This is not valid JSON: look at line %(line)s, column %(column)s (a missing comma, "
                              "quote or bracket?).") % {"line": exc.lineno, "column": exc.colno}) from None
    except RecursionError:
        raise JsonTextError(_("The JSON is nested more than %(n)s levels deep.") % {"n": MAX_DEPTH}) from None
    except ValueError:  # e.g. an integer over Python's digit limit
        raise JsonTextError(_("The JSON holds a number that is too long.")) from None
    _check(document)
    return document
