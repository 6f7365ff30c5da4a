"""Evidence: strict parsing naming the field, and a fingerprint bound to the content."""

from __future__ import annotations

import json

import pytest

from model_governance.core.errors import ValidationError
from model_governance.core.evidence import evidence_to_dict, parse_evidence

MODEL_SHA = "ab" * 32


def _json_round_trip(document):
    return parse_evidence(json.loads(json.dumps(document)))


def test_parse_evidence_valid_document_keeps_identity(evidence_factory):
    evidence = evidence_factory()

    assert (evidence.model_id, evidence.version, evidence.semver) == ("claims-fraud", "v1", "1.0")


def test_parse_evidence_features_list_input_features_in_order(evidence_factory):
    names = [f.name for f in evidence_factory().input_features]

    assert names == ["claim_amount", "provider_type"]


def test_evidence_semantic_tag_prefixes_v_and_marks_candidate(evidence_factory):
    assert evidence_factory(semver="1.0").semantic_tag == "v1.0-prod-candidate"


def test_evidence_semantic_tag_keeps_patch_number(evidence_factory):
    assert evidence_factory(semver="2.3.1").semantic_tag == "v2.3.1-prod-candidate"


@pytest.mark.parametrize("semver", ["1", "v1.0", "1.0.0.0", "01.0", "1.0-beta", "latest"])
def test_parse_evidence_bad_semver_is_refused_with_format(evidence_doc, semver):
    with pytest.raises(
        ValidationError, match=r"evidence\.semver: .* is not a semantic version; use MAJOR\.MINOR"
    ):
        parse_evidence(evidence_doc(semver=semver))


def test_parse_evidence_not_an_object_is_refused():
    with pytest.raises(ValidationError, match="evidence: expected a JSON object, got list"):
        parse_evidence([])


@pytest.mark.parametrize("field", ["model_id", "code_env", "metrics", "training_schema"])
def test_parse_evidence_missing_required_field_is_refused_naming_it(evidence_doc, field):
    document = evidence_doc()
    del document[field]

    with pytest.raises(ValidationError, match=rf"evidence: missing required field\(s\) {field}"):
        parse_evidence(document)


def test_parse_evidence_unknown_field_is_refused_listing_accepted(evidence_doc):
    with pytest.raises(
        ValidationError, match=r"evidence: unknown field\(s\) owner; accepted: model_id"
    ):
        parse_evidence(evidence_doc(owner="sue"))


@pytest.mark.parametrize("field", ["model_id", "version", "code_env", "training_dataset"])
def test_parse_evidence_blank_text_field_is_refused_naming_it(evidence_doc, field):
    with pytest.raises(ValidationError, match=rf"evidence\.{field}: expected a non-empty string"):
        parse_evidence(evidence_doc(**{field: "  "}))


@pytest.mark.parametrize("value", ["0.93", True, None, [0.93]])
def test_parse_evidence_non_number_metric_is_refused_naming_metric(evidence_doc, value):
    with pytest.raises(ValidationError, match=r"evidence\.metrics\.auc: expected a finite number"):
        parse_evidence(evidence_doc(metrics={"auc": value}))


def test_parse_evidence_empty_metrics_is_refused(evidence_doc):
    with pytest.raises(ValidationError, match=r"evidence\.metrics: expected a non-empty object"):
        parse_evidence(evidence_doc(metrics={}))


def test_parse_evidence_no_input_feature_is_refused_with_fix(evidence_doc):
    features = [{"name": "is_fraud", "role": "target"}]

    with pytest.raises(
        ValidationError, match=r"evidence\.features: no feature has role 'input'; list the inputs"
    ):
        parse_evidence(evidence_doc(features=features))


def test_parse_evidence_duplicate_feature_is_refused_naming_it(evidence_doc):
    features = [{"name": "claim_amount"}, {"name": "claim_amount"}]

    with pytest.raises(
        ValidationError, match=r"evidence\.features: 'claim_amount' is listed twice; keep one"
    ):
        parse_evidence(evidence_doc(features=features))


def test_parse_evidence_unknown_feature_role_is_refused_naming_index(evidence_doc):
    features = [{"name": "claim_amount"}, {"name": "score", "role": "output"}]

    with pytest.raises(
        ValidationError, match=r"evidence\.features\[1\]\.role: 'output' is not one of input"
    ):
        parse_evidence(evidence_doc(features=features))


def test_parse_evidence_features_not_a_list_is_refused(evidence_doc):
    with pytest.raises(ValidationError, match=r"evidence\.features: expected a list, got dict"):
        parse_evidence(evidence_doc(features={"name": "claim_amount"}))


def test_parse_evidence_schema_column_without_name_is_refused_naming_index(evidence_doc):
    schema = [{"name": "claim_amount"}, {"type": "double"}]

    with pytest.raises(
        ValidationError, match=r"evidence\.training_schema\[1\]: missing required field\(s\) name"
    ):
        parse_evidence(evidence_doc(training_schema=schema))


def test_parse_evidence_bad_artifact_hash_is_refused_naming_artifact(evidence_doc):
    with pytest.raises(
        ValidationError, match=r"evidence\.artifact_hashes\.model: expected 64 hex digits"
    ):
        parse_evidence(evidence_doc(artifact_hashes={"model": "abc123"}))


def test_parse_evidence_favourable_above_group_size_is_refused_with_fix(evidence_doc):
    fairness = [
        {
            "attribute": "gender",
            "favourable_outcome": "not_flagged",
            "groups": [{"group": "f", "size": 10, "favourable": 11}],
        }
    ]

    with pytest.raises(
        ValidationError,
        match=r"fairness\[0\]\.groups\[0\]\.favourable: 11 exceeds the group size 10; recount",
    ):
        parse_evidence(evidence_doc(fairness=fairness))


def test_parse_evidence_value_finding_share_above_one_is_refused(evidence_doc):
    findings = [{"column": "note", "kind": "ssn", "share": 1.5, "sample_size": 100}]

    with pytest.raises(
        ValidationError, match=r"value_findings\[0\]\.share: expected a share in \[0, 1\]"
    ):
        parse_evidence(evidence_doc(value_findings=findings))


def test_parse_evidence_description_unknown_field_is_refused(evidence_doc):
    with pytest.raises(
        ValidationError, match=r"evidence\.description: unknown field\(s\) owner; accepted"
    ):
        parse_evidence(evidence_doc(description={"owner": "sue"}))


def test_evidence_to_dict_round_trips_through_parse_evidence(evidence_factory):
    evidence = evidence_factory(
        artifact_hashes={"model": MODEL_SHA},
        description={"purpose": "flag suspicious claims", "known_limitations": ["new clinics"]},
    )

    assert _json_round_trip(evidence_to_dict(evidence)) == evidence


def test_evidence_fingerprint_is_stable_across_key_order(evidence_doc):
    document = evidence_doc(metrics={"auc": 0.93, "f1": 0.71})
    reordered = {key: document[key] for key in reversed(list(document))}
    reordered["metrics"] = {"f1": 0.71, "auc": 0.93}

    assert _json_round_trip(reordered).fingerprint == _json_round_trip(document).fingerprint


@pytest.mark.parametrize("spelling", ["0.90", "9e-1", "9.0E-1", "0.900000"])
def test_evidence_fingerprint_is_stable_across_float_spelling(evidence_doc, spelling):
    template = json.dumps(evidence_doc(metrics={"auc": 12345.0}))
    plain = parse_evidence(json.loads(template.replace("12345.0", "0.9")))
    respelt = parse_evidence(json.loads(template.replace("12345.0", spelling)))

    assert respelt.fingerprint == plain.fingerprint


def test_evidence_fingerprint_integer_metric_equals_float_metric(evidence_factory):
    assert evidence_factory(metrics={"auc": 1}).fingerprint == (
        evidence_factory(metrics={"auc": 1.0}).fingerprint
    )


FEATURES = [
    {"name": "claim_amount", "role": "input", "kind": "numeric"},
    {"name": "provider_type", "role": "input", "kind": "categorical"},
    {"name": "is_fraud", "role": "target", "kind": "categorical"},
]
SCHEMA = [
    {"name": "claim_amount", "type": "double"},
    {"name": "provider_type", "type": "string"},
    {"name": "is_fraud", "type": "int"},
]


def _edited(items, index, **fields):
    return [{**item, **fields} if i == index else item for i, item in enumerate(items)]


@pytest.mark.parametrize(
    "change",
    [
        {"features": _edited(FEATURES, 1, name="provider_id")},
        {"features": _edited(FEATURES, 0, kind="categorical")},
        {"features": _edited(FEATURES, 2, role="input")},
        {"features": [*FEATURES, {"name": "member_age"}]},
        {"code_env": "python-3.12-experimental"},
        {"metrics": {"auc": 0.931}},
        {"metrics": {"auc": 0.93, "f1": 0.7}},
        {"training_schema": _edited(SCHEMA, 0, type="float")},
        {"training_schema": _edited(SCHEMA, 1, tags=["PHI"])},
        {"training_dataset": "claims_train_2024"},
        {"artifact_hashes": {"model": MODEL_SHA}},
        {"semver": "1.1"},
    ],
)
def test_evidence_fingerprint_changes_with_any_content_change(evidence_factory, change):
    assert evidence_factory(**change).fingerprint != evidence_factory().fingerprint


def test_evidence_with_artifact_changes_fingerprint(evidence_factory):
    evidence = evidence_factory()

    assert evidence.with_artifact("model", MODEL_SHA).fingerprint != evidence.fingerprint


def test_evidence_with_artifact_uppercase_digest_equals_lowercase(evidence_factory):
    evidence = evidence_factory()

    upper = evidence.with_artifact("model", MODEL_SHA.upper())

    assert upper.fingerprint == evidence.with_artifact("model", MODEL_SHA).fingerprint


def test_evidence_with_artifact_bad_digest_is_refused_naming_artifact(evidence_factory):
    with pytest.raises(ValidationError, match=r"artifact_hashes\.model: expected 64 hex digits"):
        evidence_factory().with_artifact("model", "not-a-hash")


def test_evidence_fingerprint_edit_baselines_equal_the_factory_default(evidence_factory):
    # Guards the parametrized edits above: each differs from the default by one change.
    baseline = evidence_factory(features=FEATURES, training_schema=SCHEMA)

    assert baseline.fingerprint == evidence_factory().fingerprint
