"""Readers of the plain values DSS hands plugin code (forms, settings, presets).

Each reader checks one field and raises :class:`ConfigError` naming it as the UI
labels it, what is wrong, the value received, and where to fix it. DSS sends integers
as floats and unset fields as None or not at all: both are accepted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from model_governance.core.errors import ConfigError

FORM_SCREEN = "the component's form"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

__all__ = [
    "FORM_SCREEN",
    "boolean",
    "choice",
    "emails",
    "names",
    "number",
    "required",
    "text",
    "whole_number",
]


def text(config: Mapping[str, Any], name: str, label: str, screen: str = FORM_SCREEN) -> str:
    """The stripped text of ``name``; empty when unset."""
    value = config.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{label}: expected text, got {value!r}; fix it in {screen}.")
    return value.strip()


def required(config: Mapping[str, Any], name: str, label: str, screen: str = FORM_SCREEN) -> str:
    """The text of ``name``, which must not be empty."""
    value = text(config, name, label, screen)
    if not value:
        raise ConfigError(f"{label}: is required; choose or enter it in {screen}.")
    return value


def boolean(config: Mapping[str, Any], name: str, *, default: bool, label: str = "") -> bool:
    """A checkbox (DSS may send it as true/false text)."""
    value = config.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ConfigError(f"{label or name}: expected true or false, got {value!r}.")


def whole_number(
    config: Mapping[str, Any], name: str, label: str, *, default: int, low: int, high: int
) -> int:
    """A whole number in [low, high]; DSS sends INT fields as floats."""
    value = config.get(name)
    if value is None or value == "":
        return default
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or value != int(value):
        raise ConfigError(f"{label}: expected a whole number, got {value!r}.")
    if not low <= int(value) <= high:
        raise ConfigError(f"{label}: {int(value)} is outside [{low}, {high}]; pick a value in it.")
    return int(value)


def number(
    config: Mapping[str, Any], name: str, label: str, *, default: float, low: float, high: float
) -> float:
    """A finite number in [low, high]."""
    value = config.get(name)
    if value is None or value == "":
        return default
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(f"{label}: expected a number from {low:g} to {high:g}, got {value!r}.")
    return float(value)


def choice(
    config: Mapping[str, Any], name: str, label: str, *, allowed: tuple[str, ...], default: str
) -> str:
    """One of the values a SELECT field offers."""
    value = text(config, name, label) or default
    if value not in allowed:
        raise ConfigError(
            f"{label}: {value!r} is not one of {', '.join(allowed)}; pick one in the form."
        )
    return value


def names(config: Mapping[str, Any], name: str, label: str) -> tuple[str, ...]:
    """A list of names (COLUMNS, STRINGS, or text separated by commas or spaces)."""
    value = config.get(name)
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{label}: expected a list of names, got {value!r}.")
    return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))


def emails(config: Mapping[str, Any], name: str, label: str, screen: str) -> tuple[str, ...]:
    """A list of e-mail addresses."""
    addresses = names(config, name, label)
    bad = [a for a in addresses if not _EMAIL.match(a)]
    if bad:
        raise ConfigError(
            f"{label}: {', '.join(repr(b) for b in bad)} are not e-mail addresses; fix them in "
            f"{screen}."
        )
    return addresses
