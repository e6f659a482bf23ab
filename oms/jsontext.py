"""JSON written by people (an uploaded export, a corrected order, a promotion's tiers, a segment's rules), read by
one function for every caller.

Python's ``json`` accepts what PostgreSQL's ``jsonb`` cannot store (``NaN``, ``Infinity``, ``"\\u0000"``, a lone
``"\\ud800"``) and gives up with a ``RecursionError`` on deep nesting; ``load_json`` refuses all of these with a
message for the reader (``JsonTextError.message``), so what it returns can be stored and walked safely. The depth is
measured on the text before it is parsed (brackets outside strings), so ``[[[[...`` a hundred thousand deep is
refused at once and Python's parser never recurses further than ``max_depth``.
"""

import json
import math
import re

from django.utils.translation import gettext as _

from oms.errors import Refusal

MAX_DEPTH = 32  # an order is 4 levels deep; real exports stay well under this
MAX_NUMBER_CHARS = 40

_SPECIAL = re.compile(r'["\[\]{}]')
_STRING_REST = re.compile(r'[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)  # after the opening quote; linear time


class JsonTextError(Refusal):
    """JSON text that is refused; ``message`` names what is wrong and where."""


class _Refused(Exception):
    def __init__(self, message: str):
        self.message = message


def _too_deep_message(max_depth: int) -> str:
    return _("The JSON is nested more than %(n)s levels deep.") % {"n": max_depth}


def nests_deeper_than(text: str, limit: int) -> bool:
    """Whether ``text`` opens more than ``limit`` arrays/objects inside one another, counting the brackets outside
    strings without parsing (linear time, no recursion). An unterminated string ends the count: the parser then
    stops at it with a syntax error, so nothing after it is nested."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    position = 0
    while found := _SPECIAL.search(text, position):
        char = found.group()
        position = found.end()
        if char == '"':
            closed = _STRING_REST.match(text, position)
            if closed is None:
                return False
            position = closed.end()
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _constant(name: str):
    raise _Refused(_("%(value)s is not a number that can be stored: write the amount itself.") % {"value": name})


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(_("The number %(value)s… is too long.") % {"value": text[:20]})
    return int(text)


class JsonNumber(float):
    """A JSON number with a fraction or an exponent, keeping the text it was written as (``literal``): ``1e3`` and
    ``1000.0`` are one float, but only one of them is an amount as people write it, so a reader of amounts checks
    the literal (``oms.numbers.refuse_unwritten``). ``load_json`` and the channel API read numbers as these."""

    __slots__ = ("literal",)

    def __new__(cls, literal: str):
        number = super().__new__(cls, literal)
        number.literal = literal
        return number


def written_number(value):
    """The text a number of the JSON was written as (``1e3`` stays ``1e3``); any other value as it is."""
    return value.literal if isinstance(value, JsonNumber) else value


def _float(text: str) -> float:
    value = JsonNumber(text)
    if len(text) > MAX_NUMBER_CHARS or not math.isfinite(value):
        raise _Refused(_("The number %(value)s is too large.") % {"value": text[:20]})
    return value


def _where(path: str) -> str:
    return path or _("the top level")


def _check_texts(document) -> None:
    """NUL characters and lone surrogates, in keys and values, named by their path (without recursion)."""
    stack = [(document, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, (dict, list)):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key, path)
                    child = f"{path}.{key}" if path else key
                else:
                    child = f"{path}[{key}]"
                stack.append((item, child))
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


def syntax_error_message(exc: json.JSONDecodeError) -> str:
    """Where Python's parser stopped, for the person who wrote the JSON."""
    return (_("This is not valid JSON: look at line %(line)s, column %(column)s (a missing comma, quote or "
              "bracket?).") % {"line": exc.lineno, "column": exc.colno})


def load_json(text: str, *, max_depth: int = MAX_DEPTH):
    """The value of ``text``, or ``JsonTextError`` naming what is wrong and where. Arrays and objects may nest
    ``max_depth`` levels (the top one counts as 1)."""
    if "\x00" in text:
        raise JsonTextError(_("The JSON holds a NUL character: remove it."))
    if nests_deeper_than(text, max_depth):
        raise JsonTextError(_too_deep_message(max_depth))
    try:
        document = json.loads(text, parse_constant=_constant, parse_int=_int, parse_float=_float)
    except _Refused as exc:
        raise JsonTextError(exc.message) from None
    except json.JSONDecodeError as exc:
        raise JsonTextError(syntax_error_message(exc)) from None
    except RecursionError:  # only with a max_depth beyond what Python's parser can nest
        raise JsonTextError(_too_deep_message(max_depth)) from None
    _check_texts(document)
    return document
