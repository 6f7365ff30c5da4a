"""Contract: projects, variables, meanings and datasets through dataikuapi."""

from __future__ import annotations

from typing import Any

import pytest
from dataikuapi.dss.dataset import FSLikeDatasetSettings, SQLDatasetSettings
from dataikuapi.utils import DataikuException


def test_list_project_keys_fixture_projects_are_listed(dss_client: Any) -> None:
    assert dss_client.list_project_keys() == ["FRAUD", "CLAIMS_DQ"]


def test_list_projects_items_carry_name_and_owner(dss_client: Any) -> None:
    projects = {p["projectKey"]: p for p in dss_client.list_projects()}

    assert projects["FRAUD"]["name"] == "Dental claims fraud"
    assert projects["FRAUD"]["ownerLogin"] == "ds.alice"


def test_get_summary_fraud_project_returns_tags(dss_client: Any) -> None:
    summary = dss_client.get_project("FRAUD").get_summary()

    assert summary["projectKey"] == "FRAUD"
    assert summary["tags"] == ["fraud", "dental", "risk:high"]


def test_get_summary_unknown_project_raises_not_found(dss_client: Any) -> None:
    with pytest.raises(DataikuException, match="NotFoundException: Project does not exist: NOPE"):
        dss_client.get_project("NOPE").get_summary()


def test_get_metadata_fraud_project_returns_custom_fields(dss_client: Any) -> None:
    metadata = dss_client.get_project("FRAUD").get_metadata()

    assert metadata["custom"]["kv"]["risk_tier"] == "high"
    assert metadata["checklists"] == {"checklists": []}


def test_set_metadata_new_tags_are_read_back(dss_client: Any) -> None:
    project = dss_client.get_project("FRAUD")
    metadata = project.get_metadata()
    metadata["tags"] = ["fraud", "governed"]

    project.set_metadata(metadata)

    assert project.get_metadata()["tags"] == ["fraud", "governed"]
    assert project.get_summary()["tags"] == ["fraud", "governed"]


def test_get_variables_returns_standard_and_local(dss_client: Any) -> None:
    variables = dss_client.get_project("FRAUD").get_variables()

    assert variables["standard"]["min_auc"] == 0.9
    assert variables["local"] == {"automation_node": "automation-prod"}


def test_set_variables_replaces_both_scopes(dss_client: Any) -> None:
    project = dss_client.get_project("FRAUD")

    project.set_variables({"standard": {"min_auc": 0.92}, "local": {}})

    assert project.get_variables() == {"standard": {"min_auc": 0.92}, "local": {}}


def test_update_variables_local_scope_keeps_standard(dss_client: Any) -> None:
    project = dss_client.get_project("FRAUD")

    project.update_variables({"gate_state": "APPROVED"}, type="local")

    variables = project.get_variables()
    assert variables["local"]["gate_state"] == "APPROVED"
    assert variables["standard"]["min_auc"] == 0.9


def test_set_variables_scope_not_an_object_raises_bad_request(dss_client: Any) -> None:
    project = dss_client.get_project("FRAUD")

    with pytest.raises(DataikuException, match=r"IllegalArgumentException: .*'local' object"):
        project.set_variables({"standard": {}, "local": ["not", "a", "dict"]})


def test_list_meanings_returns_phi_and_pci(dss_client: Any) -> None:
    meanings = {m["id"]: m["label"] for m in dss_client.list_meanings()}

    assert meanings == {"phi": "PHI", "pci": "PCI"}


def test_list_datasets_returns_both_fraud_datasets(dss_client: Any) -> None:
    names = [d.name for d in dss_client.get_project("FRAUD").list_datasets()]

    assert names == ["claims_train", "claims_scored"]


def test_list_datasets_tag_filter_keeps_tagged_datasets(dss_client: Any) -> None:
    datasets = dss_client.get_project("FRAUD").list_datasets(tags=["PHI"])

    assert [d.name for d in datasets] == ["claims_train"]


def test_get_schema_phi_columns_carry_meaning_and_comment(dss_client: Any) -> None:
    schema = dss_client.get_project("FRAUD").get_dataset("claims_train").get_schema()
    columns = {c["name"]: c for c in schema["columns"]}

    assert columns["ssn"]["meaning"] == "phi"
    assert columns["ssn"]["comment"] == "PHI: social security number"
    assert columns["payment_card_number"]["meaning"] == "pci"
    assert "meaning" not in columns["claim_amount"]
    assert columns["birth_date"]["type"] == "date"


def test_set_schema_column_without_type_raises_bad_request(dss_client: Any) -> None:
    dataset = dss_client.get_project("FRAUD").get_dataset("claims_scored")

    with pytest.raises(DataikuException, match="column 0 needs a name and a type"):
        dataset.set_schema({"columns": [{"name": "claim_id"}]})


def test_set_schema_valid_columns_are_read_back(dss_client: Any) -> None:
    dataset = dss_client.get_project("FRAUD").get_dataset("claims_scored")

    dataset.set_schema({"columns": [{"name": "claim_id", "type": "string", "meaning": "phi"}]})

    assert dataset.get_schema()["columns"] == [
        {"name": "claim_id", "type": "string", "meaning": "phi"}
    ]


def test_get_settings_filesystem_dataset_is_fs_like(dss_client: Any) -> None:
    settings = dss_client.get_project("FRAUD").get_dataset("claims_train").get_settings()

    assert isinstance(settings, FSLikeDatasetSettings)
    assert settings.tags == ["PHI", "training"]
    assert [c["name"] for c in settings.schema_columns][:3] == ["claim_id", "patient_name", "ssn"]


def test_get_settings_postgresql_dataset_is_sql(dss_client: Any) -> None:
    settings = dss_client.get_project("CLAIMS_DQ").get_dataset("claims_feed").get_settings()

    assert isinstance(settings, SQLDatasetSettings)
    assert settings.get_raw_params()["connection"] == "claims_dwh"


def test_get_metadata_dataset_returns_tags(dss_client: Any) -> None:
    metadata = dss_client.get_project("FRAUD").get_dataset("claims_train").get_metadata()

    assert metadata["tags"] == ["PHI", "training"]


def test_exists_unknown_dataset_is_false(dss_client: Any) -> None:
    project = dss_client.get_project("FRAUD")

    assert project.get_dataset("claims_train").exists() is True
    assert project.get_dataset("no_such_dataset").exists() is False
