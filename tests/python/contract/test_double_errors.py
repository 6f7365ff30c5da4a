"""Contract: error JSON, credentials, fault injection, request log, route table."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import requests
from dataikuapi import DSSClient
from dataikuapi.utils import DataikuException
from dss_double import API_TICKET, DssDouble, exercised_client_methods, route_table
from dss_double.server import basic_auth_header

CLIENT_MODULES = (
    "dataikuapi.dssclient",
    "dataikuapi.govern_client",
    "dataikuapi.dss.project",
    "dataikuapi.dss.dataset",
    "dataikuapi.dss.savedmodel",
    "dataikuapi.dss.ml",
    "dataikuapi.dss.evaluationstore",
    "dataikuapi.dss.modelevaluationstore",
    "dataikuapi.dss.projectdeployer",
    "dataikuapi.dss.apideployer",
    "dataikuapi.dss.future",
    "dataikuapi.dss.scenario",
    "dataikuapi.dss.messaging_channel",
    "dataikuapi.govern.artifact",
    "dataikuapi.govern.artifact_search",
)


def _get(double: DssDouble, path: str, **kwargs: Any) -> requests.Response:
    headers = kwargs.pop("headers", basic_auth_header(double.api_key))
    return requests.get(f"{double.url}/dip/publicapi{path}", headers=headers, timeout=10, **kwargs)


def test_unknown_route_raises_dataiku_exception_with_message(dss_client: Any) -> None:
    with pytest.raises(
        DataikuException, match=r"NotFoundException: No dss public API route for GET /no/such/thing"
    ):
        dss_client._perform_json("GET", "/no/such/thing")


def test_unknown_route_answers_404_with_dss_error_json(dss_double: DssDouble) -> None:
    response = _get(dss_double, "/no/such/thing")

    assert response.status_code == 404
    assert set(response.json()) == {"errorType", "message", "detailedMessage"}


def test_path_without_the_clients_trailing_slash_is_unknown(dss_double: DssDouble) -> None:
    assert _get(dss_double, "/projects").status_code == 404
    assert _get(dss_double, "/projects/").status_code == 200


def test_wrong_method_on_known_path_answers_405(dss_double: DssDouble) -> None:
    response = requests.delete(
        f"{dss_double.url}/dip/publicapi/projects/",
        headers=basic_auth_header(dss_double.api_key),
        timeout=10,
    )

    assert response.status_code == 405
    assert "Method DELETE is not allowed" in response.json()["message"]


def test_wrong_api_key_is_refused_with_401(dss_double: DssDouble) -> None:
    response = _get(dss_double, "/projects/", headers=basic_auth_header("dkuaps-forged"))

    assert response.status_code == 401
    assert response.json()["errorType"].endswith("UnauthorizedException")


def test_wrong_api_key_client_raises_dataiku_exception(dss_double: DssDouble) -> None:
    client = DSSClient(dss_double.url, api_key="dkuaps-forged")

    with pytest.raises(DataikuException, match="Failed to authenticate: unknown API key"):
        client.list_projects()


def test_missing_credentials_are_refused(dss_double: DssDouble) -> None:
    response = _get(dss_double, "/projects/", headers={})

    assert response.status_code == 401
    assert response.json()["message"] == "No API key or ticket in the request"


def test_api_ticket_authenticates_as_its_user(dss_double: DssDouble) -> None:
    client = DSSClient(dss_double.url, internal_ticket=API_TICKET)

    assert client.get_auth_info()["authIdentifier"] == "admin"


def test_unknown_api_ticket_is_refused(dss_double: DssDouble) -> None:
    client = DSSClient(dss_double.url, internal_ticket="forged-ticket")

    with pytest.raises(DataikuException, match="unknown API ticket"):
        client.get_auth_info()


def test_invalid_json_body_answers_400(dss_double: DssDouble) -> None:
    response = requests.put(
        f"{dss_double.url}/dip/publicapi/projects/FRAUD/variables/",
        data="{not json",
        headers=basic_auth_header(dss_double.api_key),
        timeout=10,
    )

    assert response.status_code == 400
    assert "Request body is not valid JSON" in response.json()["message"]


def test_missing_required_field_raises_bad_request(dss_client: Any) -> None:
    deployer = dss_client.get_projectdeployer()

    with pytest.raises(DataikuException, match="Missing required field 'bundleId'"):
        deployer.create_deployment("d1", "FRAUD", "STAGING-ML-01", None)


def test_fail_next_by_route_id_fails_once_with_chosen_status(dss_double: DssDouble) -> None:
    dss_double.reset()
    dss_double.state.fail_next("GET /projects/<project_key>", status=503, message="Backend busy")

    failed = _get(dss_double, "/projects/FRAUD")
    recovered = _get(dss_double, "/projects/FRAUD")

    assert failed.status_code == 503
    assert failed.json()["message"] == "Backend busy"
    assert recovered.status_code == 200


def test_fail_next_by_handler_name_reaches_client_as_exception(
    dss_double: DssDouble, dss_client: Any
) -> None:
    dss_double.state.fail_next("list_saved_model_versions", status=500, message="Disk full")
    model = dss_client.get_project("FRAUD").get_saved_model("Zx7kQp2B")

    with pytest.raises(DataikuException, match="RuntimeException: Disk full"):
        model.list_versions()
    assert model.get_active_version()["id"] == "v1"


def test_fail_next_on_futures_route_breaks_wait_for_result(
    dss_double: DssDouble, dss_client: Any
) -> None:
    future = dss_client.get_projectdeployer().get_deployment("FRAUD-on-PROD-ML-01").start_update()
    dss_double.state.fail_next("GET /futures/<job_id>", status=502, message="Proxy error")

    with pytest.raises(DataikuException, match="Proxy error"):
        future.wait_for_result()


def test_fixture_update_outcome_failed_makes_update_future_fail(dss_double: DssDouble) -> None:
    data = dss_double.state.fixture_data
    data["projectDeployer"]["deployments"][0]["updateOutcome"] = "FAILED"
    data["projectDeployer"]["deployments"][0]["updateError"] = "Bundle activation failed"
    double = DssDouble.start(data=data)
    try:
        deployment = double.client().get_projectdeployer().get_deployment("FRAUD-on-PROD-ML-01")
        with pytest.raises(
            DataikuException, match="FutureFailedException: Bundle activation failed"
        ):
            deployment.start_update().wait_for_result()
    finally:
        double.stop()


def test_request_log_records_verb_path_route_and_status(
    dss_double: DssDouble, dss_client: Any
) -> None:
    dss_client.get_project("FRAUD").get_summary()

    entry = dss_double.request_log[-1]
    assert (entry.node, entry.method, entry.path, entry.status) == (
        "dss",
        "GET",
        "/projects/FRAUD",
        200,
    )
    assert entry.route_id == "GET /projects/<project_key>"


def test_exercised_client_methods_lists_successful_calls_only(
    dss_double: DssDouble, dss_client: Any
) -> None:
    start = len(dss_double.request_log)
    dss_client.get_project("FRAUD").get_metadata()
    with pytest.raises(DataikuException):
        dss_client.get_project("FRAUD").get_saved_model("missing").list_versions()

    methods = exercised_client_methods(dss_double.request_log[start:])

    assert methods == ["DSSProject.get_metadata"]


def test_reset_keeps_request_log(dss_double: DssDouble, dss_client: Any) -> None:
    dss_client.get_project("FRAUD").get_summary()
    before = len(dss_double.request_log)

    dss_double.reset()

    assert len(dss_double.request_log) == before


def test_route_table_every_client_method_exists_in_dataikuapi() -> None:
    classes = {}
    for module_name in CLIENT_MODULES:
        module = importlib.import_module(module_name)
        classes.update({name: obj for name, obj in vars(module).items() if isinstance(obj, type)})

    missing = [
        method
        for route in route_table().values()
        for method in route.client_methods
        if not hasattr(classes.get(method.split(".")[0]), method.split(".")[1])
    ]

    assert missing == []


def test_route_table_every_route_names_a_client_method() -> None:
    assert all(route.client_methods for route in route_table().values())


def test_handler_bug_answers_dss_500(
    dss_double: DssDouble, dss_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dss_double.state, "channels", None)

    with pytest.raises(DataikuException, match="RuntimeException: DSS double handler failed"):
        dss_client.list_messaging_channels()
