"""The retraining fast track's envelope: when a retrained version may skip the board.

A retrained version of an approved model stays inside the envelope when it reads the
same input features (names and kinds), runs in the same code environment, and its AUC
and disparate impact are not lower than the approved version's by more than the
policy's margins (``max_auc_decrease`` and ``max_disparate_impact_decrease`` of
``policy.fast_track``). Inside the envelope the roles in ``fast_track.roles_granted``
(the review board by default) are granted by rule; every other sign-off stays with
people, and the gate's automatic checks still apply.
"""

from __future__ import annotations

from typing import NamedTuple

from model_governance.core.checks import disparate_impact_of
from model_governance.core.compare import exceeds
from model_governance.core.errors import UndefinedMetricError
from model_governance.core.evidence import Evidence, FairnessEvidence
from model_governance.core.policy import Policy

__all__ = ["Envelope", "fast_track_envelope"]


class Envelope(NamedTuple):
    """Whether the candidate is inside the envelope, and why (or why not).

    When inside, ``reasons`` states how each criterion holds; when outside, it lists
    only the criteria that fail.
    """

    is_inside: bool
    reasons: tuple[str, ...]


def fast_track_envelope(candidate: Evidence, approved: Evidence, policy: Policy) -> Envelope:
    """Decide whether a retrained ``candidate`` stays inside ``approved``'s envelope.

    Args:
        candidate: Evidence of the retrained version.
        approved: Evidence of the approved version it replaces.
        policy: The policy in force (its ``fast_track`` rule and ``min_group_size``).

    Returns:
        ``(is_inside, reasons)``.
    """
    rule = policy.fast_track
    if not rule.enabled:
        return Envelope(False, ("the policy's fast track is disabled",))
    if candidate.model_id != approved.model_id or candidate.version == approved.version:
        return Envelope(
            False,
            (
                f"{candidate.model_id} {candidate.version} is not a new version of "
                f"{approved.model_id} {approved.version}",
            ),
        )
    checks = (
        _same_features(candidate, approved),
        _same_code_env(candidate, approved),
        _auc_margin(candidate, approved, rule.max_auc_decrease),
        *_fairness_margins(candidate, approved, policy),
    )
    failures = tuple(text for holds, text in checks if not holds)
    if failures:
        return Envelope(False, failures)
    return Envelope(True, tuple(text for _, text in checks))


def _same_features(candidate: Evidence, approved: Evidence) -> tuple[bool, str]:
    now = {f.name: f.kind for f in candidate.input_features}
    then = {f.name: f.kind for f in approved.input_features}
    if now == then:
        return True, f"same {len(now)} input features, names and kinds"
    added = sorted(set(now) - set(then))
    removed = sorted(set(then) - set(now))
    changed = sorted(n for n in set(now) & set(then) if now[n] != then[n])
    parts = [
        f"{label} {', '.join(names)}"
        for label, names in (("added", added), ("removed", removed), ("kind changed", changed))
        if names
    ]
    return False, "input features differ from the approved version: " + "; ".join(parts)


def _same_code_env(candidate: Evidence, approved: Evidence) -> tuple[bool, str]:
    if candidate.code_env == approved.code_env:
        return True, f"same code environment {candidate.code_env}"
    return False, (
        f"code environment {candidate.code_env} differs from the approved {approved.code_env}"
    )


def _auc_margin(candidate: Evidence, approved: Evidence, margin: float) -> tuple[bool, str]:
    now, then = candidate.metrics.get("auc"), approved.metrics.get("auc")
    if now is None or then is None:
        missing = "the candidate" if now is None else "the approved version"
        return False, f"AUC is not recorded for {missing}; the AUC margin cannot be checked"
    decrease = then - now
    text = f"AUC {now:.4f} against {then:.4f} approved ({_change(decrease, 4)}"
    if exceeds(decrease, margin):
        return False, f"{text}, more than the {margin:g} allowed)"
    return True, f"{text}{_within(decrease, margin)})"


def _fairness_margins(
    candidate: Evidence, approved: Evidence, policy: Policy
) -> list[tuple[bool, str]]:
    margin = policy.fast_track.max_disparate_impact_decrease
    found = {f.attribute: f for f in candidate.fairness}
    results = []
    for then_fairness in approved.fairness:
        attribute = then_fairness.attribute
        now_fairness = found.get(attribute)
        if now_fairness is None:
            results.append((False, f"disparate impact for {attribute} is not in the evidence"))
            continue
        then = _ratio(then_fairness, policy)
        now = _ratio(now_fairness, policy)
        if then is None or now is None:
            side = "the candidate" if now is None else "the approved version"
            results.append((False, f"disparate impact for {attribute} is undefined for {side}"))
            continue
        decrease = then - now
        text = (
            f"disparate impact for {attribute} {now:.3f} against {then:.3f} approved "
            f"({_change(decrease, 3)}"
        )
        if exceeds(decrease, margin):
            results.append((False, f"{text}, more than the {margin:g} allowed)"))
        else:
            results.append((True, f"{text}{_within(decrease, margin)})"))
    return results


def _ratio(fairness: FairnessEvidence, policy: Policy) -> float | None:
    try:
        return disparate_impact_of(fairness, policy.min_group_size).ratio
    except UndefinedMetricError:
        return None


def _change(decrease: float, digits: int) -> str:
    if decrease > 0:
        return f"down {decrease:.{digits}f}"
    return f"up {-decrease:.{digits}f}" if decrease < 0 else "unchanged"


def _within(decrease: float, margin: float) -> str:
    return f", within the {margin:g} allowed" if decrease > 0 else ""
