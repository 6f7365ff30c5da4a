"""The retraining fast track's envelope: features, code env, AUC and DI margins."""

from __future__ import annotations

import pytest

from model_governance.core.fast_track import fast_track_envelope
from model_governance.core.policy import Policy

POLICY = Policy()


def _fairness(favourable_b, attribute="age_group"):
    # Group a's rate is 900/1000 = 0.9; group b's is favourable_b/1000, so the
    # disparate impact is favourable_b / 900.
    return [
        {
            "attribute": attribute,
            "favourable_outcome": "not_flagged",
            "groups": [
                {"group": "a", "size": 1000, "favourable": 900},
                {"group": "b", "size": 1000, "favourable": favourable_b},
            ],
        }
    ]


@pytest.fixture
def approved(evidence_factory):
    return evidence_factory(metrics={"auc": 0.93}, fairness=_fairness(900))


@pytest.fixture
def retrained(evidence_factory):
    def build(**overrides):
        document = {"version": "v2", "metrics": {"auc": 0.93}, "fairness": _fairness(900)}
        document.update(overrides)
        return evidence_factory(**document)

    return build


def test_envelope_identical_candidate_is_inside_with_every_reason(approved, retrained):
    is_inside, reasons = fast_track_envelope(retrained(), approved, POLICY)

    assert is_inside is True
    assert reasons[0] == "same 2 input features, names and kinds"
    assert reasons[1] == "same code environment python-3.11-deltadental"
    assert reasons[2] == "AUC 0.9300 against 0.9300 approved (unchanged)"
    assert reasons[3].startswith("disparate impact for age_group 1.000 against 1.000")


@pytest.mark.parametrize(
    ("auc", "is_inside"),
    # Approved 0.93; the margin is 0.01, so 0.92 is just inside (0.93 - 0.92 is
    # 0.010000000000000009 in floats) and 0.9199 just outside.
    [(0.92, True), (0.9199, False), (0.9201, True), (0.99, True)],
)
def test_envelope_auc_margin_boundary(approved, retrained, auc, is_inside):
    envelope = fast_track_envelope(retrained(metrics={"auc": auc}), approved, POLICY)

    assert envelope.is_inside is is_inside


def test_envelope_auc_outside_names_the_decrease(approved, retrained):
    envelope = fast_track_envelope(retrained(metrics={"auc": 0.90}), approved, POLICY)

    assert envelope.reasons == (
        "AUC 0.9000 against 0.9300 approved (down 0.0300, more than the 0.01 allowed)",
    )


@pytest.mark.parametrize(
    ("favourable_b", "is_inside"),
    # DI 882/900 = 0.98 is a decrease of exactly 0.02 (the margin); 881/900 = 0.9789
    # is 0.0211 below the approved 1.0, and 883/900 = 0.9811 within.
    [(882, True), (881, False), (883, True)],
)
def test_envelope_disparate_impact_margin_boundary(approved, retrained, favourable_b, is_inside):
    candidate = retrained(fairness=_fairness(favourable_b))

    assert fast_track_envelope(candidate, approved, POLICY).is_inside is is_inside


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        (
            [
                {"name": "claim_amount", "role": "input", "kind": "numeric"},
                {"name": "provider_type", "role": "input", "kind": "categorical"},
                {"name": "n_visits", "role": "input", "kind": "numeric"},
            ],
            "added n_visits",
        ),
        (
            [{"name": "claim_amount", "role": "input", "kind": "numeric"}],
            "removed provider_type",
        ),
        (
            [
                {"name": "claim_amount", "role": "input", "kind": "categorical"},
                {"name": "provider_type", "role": "input", "kind": "categorical"},
            ],
            "kind changed claim_amount",
        ),
    ],
)
def test_envelope_feature_change_is_outside(approved, retrained, features, expected):
    envelope = fast_track_envelope(retrained(features=features), approved, POLICY)

    assert envelope.is_inside is False
    assert envelope.reasons == (f"input features differ from the approved version: {expected}",)


def test_envelope_other_code_environment_is_outside(approved, retrained):
    envelope = fast_track_envelope(retrained(code_env="python-3.12-new"), approved, POLICY)

    assert envelope == (
        False,
        ("code environment python-3.12-new differs from the approved python-3.11-deltadental",),
    )


def test_envelope_missing_protected_attribute_is_outside(approved, retrained):
    envelope = fast_track_envelope(retrained(fairness=[]), approved, POLICY)

    assert envelope.reasons == ("disparate impact for age_group is not in the evidence",)


def test_envelope_undefined_disparate_impact_is_outside(approved, retrained):
    tiny = [
        {
            "attribute": "age_group",
            "favourable_outcome": "not_flagged",
            "groups": [{"group": "a", "size": 3, "favourable": 3}],
        }
    ]

    envelope = fast_track_envelope(retrained(fairness=tiny), approved, POLICY)

    assert envelope.reasons == ("disparate impact for age_group is undefined for the candidate",)


def test_envelope_disabled_fast_track_is_outside(approved, retrained, policy):
    envelope = fast_track_envelope(retrained(), approved, policy(fast_track={"enabled": False}))

    assert envelope == (False, ("the policy's fast track is disabled",))


def test_envelope_same_version_is_not_a_retraining(approved):
    envelope = fast_track_envelope(approved, approved, POLICY)

    assert envelope.is_inside is False
    assert "is not a new version" in envelope.reasons[0]


def test_envelope_policy_margins_apply(approved, retrained, policy):
    lenient = policy(fast_track={"max_auc_decrease": 0.05})

    envelope = fast_track_envelope(retrained(metrics={"auc": 0.90}), approved, lenient)

    assert envelope.is_inside is True
    assert "down 0.0300, within the 0.05 allowed" in envelope.reasons[2]
