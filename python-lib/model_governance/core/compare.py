"""Threshold comparisons that do not flip on floating-point noise.

A KS statistic of 3/20 computes as 0.15000000000000002; compared naively with a limit of
0.15 it would raise a drift alert that the definition ("above 0.15") does not. Values
within a relative 1e-9 of the limit count as equal to it.
"""

from __future__ import annotations

import math

_REL_TOL = 1e-9
_ABS_TOL = 1e-12


def is_equal(value: float, limit: float) -> bool:
    """True when ``value`` equals ``limit`` up to floating-point noise."""
    return math.isclose(value, limit, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)


def exceeds(value: float, limit: float) -> bool:
    """``value > limit``, with values equal up to noise counting as not above.

    >>> exceeds(3 / 20, 0.15), exceeds(0.1500001, 0.15)
    (False, True)
    """
    return value > limit and not is_equal(value, limit)


def falls_below(value: float, limit: float) -> bool:
    """``value < limit``, with values equal up to noise counting as not below.

    >>> falls_below(0.7999999999999999, 0.8), falls_below(0.79, 0.8)
    (False, True)
    """
    return value < limit and not is_equal(value, limit)
