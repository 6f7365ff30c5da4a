"""Canonical JSON and SHA-256: the one way the plugin fingerprints content."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from model_governance.core.errors import ValidationError


def canonical_value(value: Any, *, path: str = "$") -> Any:
    """Return ``value`` as plain JSON types with one spelling per meaning.

    Mappings get string keys, tuples become lists, ``-0.0`` becomes ``0.0``, integral
    floats and ints compare equal only if the caller passes them as the same type, and
    datetimes become UTC ISO 8601 strings. NaN and infinities are refused because JSON
    cannot carry them and a fingerprint over them would not be reproducible.
    """
    if isinstance(value, Mapping):
        return {str(k): canonical_value(v, path=f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical_value(v, path=f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(
                f"{path}: {value!r} is not a finite number; replace it with a number or null."
            )
        return value + 0.0
    if isinstance(value, datetime):
        return to_utc_iso(value)
    if isinstance(value, str):
        return _checked_text(value, path)
    if value is None or isinstance(value, (int, bool)):
        return value
    raise ValidationError(f"{path}: values of type {type(value).__name__} cannot be hashed.")


def _checked_text(value: str, path: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"{path}: the text holds characters that are not valid Unicode (a lone surrogate "
            f"at position {exc.start}); re-type or re-export it as UTF-8."
        ) from exc
    return value


def canonical_json(value: Any) -> str:
    """Serialise ``value`` as canonical JSON: sorted keys, no spaces, no NaN."""
    return json.dumps(
        canonical_value(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def sha256_hex(text: str | bytes) -> str:
    """SHA-256 of ``text`` (UTF-8 for str) as 64 lowercase hex digits."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def content_hash(value: Any) -> str:
    """SHA-256 of the canonical JSON of ``value``."""
    return sha256_hex(canonical_json(value))


def to_utc_iso(moment: datetime) -> str:
    """UTC ISO 8601 with microseconds; naive datetimes are refused, not guessed."""
    if moment.tzinfo is None:
        raise ValidationError(
            f"timestamp {moment.isoformat()} has no time zone; pass an aware UTC datetime."
        )
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")
