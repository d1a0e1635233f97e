"""A widget's state as a short dict and as URL query parameters, both ways.

The state of a widget is the flat dict of its settings that differ from their defaults, with
plain scalar values, so `?activation=relu&init=xavier_normal` is a whole link. Values read from
a URL are text: each widget describes its settings with a schema of parsers that turn text, or
an already typed value, into the setting's type. Whatever cannot be used is reported, never
raised, so that a bad link still opens the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

Parser = Callable[[Any], Any]
# Voila reads these itself (template and theme of the page): not a widget's business.
PAGE_PARAMETERS = frozenset({"theme", "template", "voila-template", "voila-theme"})
KNOWN_SHOWN = 12  # a notice names this many known settings, not all forty
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"expected true or false, not {value!r}")


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, not {value!r}")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"expected a whole number, not {value!r}") from None


def parse_float(value: Any) -> float:
    try:
        number = float(value) if not isinstance(value, str) else float(value.strip())
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, not {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, not {value!r}")
    return number


def parse_choice(choices: Mapping[Any, Any] | list[Any] | tuple[Any, ...]) -> Parser:
    """The parser for a choice among `choices` (or a mapping's keys); a URL gives text, so a
    choice that is not text (a width of 64) is matched by its text and returned as itself."""
    def parse(value: Any) -> Any:
        text = str(value).strip()
        for choice in choices:
            if str(choice) == text:
                return choice
        raise ValueError(f"must be one of {', '.join(map(str, choices))}, not {value!r}")
    return parse


def parse_names(choices: Mapping[str, Any] | tuple[str, ...]) -> Parser:
    """The parser for a list of names among `choices` (or a mapping's keys): "sgd,adam" from a
    link, or a list or tuple from a program; the names as a tuple, in the order given."""
    def parse(value: Any) -> tuple[str, ...]:
        names = [n.strip() for n in value.split(",") if n.strip()] if isinstance(value, str) else list(value)
        if any(n not in choices for n in names):
            raise ValueError(f"expected names from {', '.join(choices)}, not {value!r}")
        return tuple(names)
    return parse


def parser_like(default: Any) -> Parser:
    """The parser for a setting whose default is `default` (None: an optional number)."""
    if isinstance(default, bool):
        return parse_bool
    if isinstance(default, int):
        return parse_int
    if isinstance(default, float) or default is None:
        return parse_float
    return lambda value: str(value).strip()


def encode_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def short_state(values: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The values that differ from their defaults; floats compared to 6 significant digits, the
    precision a link keeps."""
    return {key: value for key, value in values.items()
            if value is not None and encode_value(value) != encode_value(defaults.get(key))}


def to_query(state: Mapping[str, Any]) -> str:
    return urlencode({key: encode_value(value) for key, value in state.items()})


def from_query(query: str) -> dict[str, str]:
    """The parameters of a query string (with or without its '?'); a repeated one: the last."""
    return {key: value for key, value in parse_qsl(query.lstrip("?"), keep_blank_values=True)
            if key not in PAGE_PARAMETERS}


def parse_state(raw: Mapping[str, Any], schema: Mapping[str, Parser]) -> tuple[dict[str, Any], list[str]]:
    """The settings of `raw` the schema knows, parsed, and a message for each one left out."""
    settings, problems = {}, []
    unknown = [key for key in raw if key not in schema]
    if unknown:
        known = ", ".join(list(schema)[:KNOWN_SHOWN]) + (", ..." if len(schema) > KNOWN_SHOWN else "")
        problems.append(f"ignored unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                        f"(known: {known})")
    for key, value in raw.items():
        if key in schema:
            try:
                settings[key] = schema[key](value)
            except ValueError as error:
                problems.append(f"ignored {key}={value!r}: {error}")
    return settings, problems
