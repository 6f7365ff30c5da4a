"""Fixtures of the DSS contract: the DSS API double and the environment of plugin code.

- ``dss_double`` (session): the running double (``url``, ``api_key``, ``state``,
  ``request_log``, ``exercised_client_methods()``, ``reset()``, ``client()``).
- ``dss_client`` / ``govern_client``: fresh world (fixtures reloaded) and a real
  ``dataikuapi`` client on the DSS node / the Govern node.
- ``dss_env``: fresh world, ``tests/stand_in`` on ``sys.path`` and the environment
  variables DSS sets (API ticket, backend host/port, current project), plus helpers
  to configure a recipe, a scenario step, a webapp or a scenario run.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

TESTS_DIR = Path(__file__).resolve().parents[2]
STAND_IN_DIR = TESTS_DIR / "stand_in"
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from dss_double import DssDouble, route_table  # noqa: E402 - needs TESTS_DIR on sys.path

PROJECT_KEY = "FRAUD"
_STARTED: list[DssDouble] = []


@pytest.fixture(scope="session")
def dss_double() -> Iterator[DssDouble]:
    """Serve the DSS double for the whole session."""
    double = DssDouble.start()
    _STARTED.append(double)
    yield double
    double.stop()


@pytest.fixture
def dss_client(dss_double: DssDouble) -> Any:
    """Return a ``dataikuapi.DSSClient`` (admin API key) on a freshly loaded world."""
    dss_double.reset()
    return dss_double.client()


@pytest.fixture
def govern_client(dss_double: DssDouble) -> Any:
    """Return a ``dataikuapi.GovernClient`` on the Govern node (fresh world)."""
    dss_double.reset()
    return dss_double.govern_client()


class DssEnv:
    """The environment DSS gives plugin code, set through ``monkeypatch``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, double: DssDouble) -> None:
        self.monkeypatch = monkeypatch
        self.double = double
        self.project_key = PROJECT_KEY
        self.data_dir = tmp_path / "dss_data"
        self.data_dir.mkdir()
        self.scenario_state_path = tmp_path / "scenario_state.json"
        self.trigger_path = tmp_path / "scenario_trigger.json"

    def setenv(self, name: str, value: Any) -> None:
        """Set one variable; non-strings are stored as JSON, as DSS passes configs."""
        self.monkeypatch.setenv(name, value if isinstance(value, str) else json.dumps(value))

    def use_api_key(self, api_key: str | None = None) -> None:
        """Switch to outside-DSS mode: ``DKU_DSS_URL`` + ``DKU_API_KEY``, no ticket."""
        self.monkeypatch.delenv("DKU_API_TICKET", raising=False)
        self.setenv("DKU_DSS_URL", self.double.url)
        self.setenv("DKU_API_KEY", api_key or self.double.api_key)

    def set_recipe(
        self,
        inputs: dict[str, list[str]],
        outputs: dict[str, list[str]],
        config: dict[str, Any],
        plugin_config: dict[str, Any] | None = None,
    ) -> None:
        """Configure a custom recipe: roles (role -> dataset names) and parameters."""
        self.setenv("DKUFLOW_SPEC", {"in": self._flow(inputs), "out": self._flow(outputs)})
        self.setenv("DKU_CUSTOM_RECIPE_CONFIG", config)
        self.setenv("DKU_CUSTOM_RECIPE_PLUGIN_CONFIG", plugin_config or {})
        self.setenv("DKU_CUSTOM_RESOURCE_FOLDER", str(self.data_dir / "resource"))

    def _flow(self, roles: dict[str, list[str]]) -> list[dict[str, str]]:
        return [
            {
                "role": role,
                "fullName": f"{self.project_key}.{name}",
                "smartName": name,
                "type": "DATASET",
            }
            for role, names in roles.items()
            for name in names
        ]

    def set_step(self, config: dict[str, Any], plugin_config: dict[str, Any] | None = None) -> None:
        """Configure a custom scenario step."""
        self.setenv("DKU_PLUGIN_STEP_CONFIG", config)
        self.setenv("DKU_PLUGIN_CONFIG", plugin_config or {})

    def set_webapp(
        self, config: dict[str, Any], plugin_config: dict[str, Any] | None = None
    ) -> None:
        """Configure a webapp backend."""
        self.setenv("DKU_CUSTOM_WEBAPP_CONFIG", config)
        self.setenv("DKU_PLUGIN_CONFIG", plugin_config or {})

    def set_scenario(
        self,
        variables: dict[str, Any] | None = None,
        previous_steps_outputs: list[dict[str, Any]] | None = None,
        step_results: dict[str, dict[str, Any]] | None = None,
        trigger: dict[str, Any] | None = None,
    ) -> None:
        """Write the scenario state file (and trigger file) a scenario step will see."""
        state = {
            "variables": variables or {},
            "scenarioVariables": {},
            "previousStepsOutputs": previous_steps_outputs or [],
            "stepResults": step_results or {},
            "stepsRun": [],
        }
        self.scenario_state_path.write_text(json.dumps(state), encoding="utf-8")
        if trigger is not None:
            self.trigger_path.write_text(json.dumps(trigger), encoding="utf-8")
            self.setenv("DKU_CURRENT_SCENARIO_TRIGGER_FILE", str(self.trigger_path))

    def read_scenario_state(self) -> dict[str, Any]:
        """Return the scenario state file as the step left it."""
        return json.loads(self.scenario_state_path.read_text(encoding="utf-8"))

    def write_dataset(
        self,
        name: str,
        df: pd.DataFrame,
        *,
        schema: list[dict[str, Any]] | None = None,
        file_format: str = "csv",
    ) -> Path:
        """Store a dataset the stand-in ``dataiku.Dataset(name)`` will read."""
        path = self.data_dir / f"{name}.{file_format}"
        if file_format == "parquet":
            df.to_parquet(path, index=False)
        else:
            df.to_csv(path, index=False)
        if schema is not None:
            schema_path = self.data_dir / f"{name}.schema.json"
            schema_path.write_text(json.dumps({"columns": schema}), encoding="utf-8")
        return path


@pytest.fixture
def dss_env(
    dss_double: DssDouble, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[DssEnv]:
    """Set the variables DSS gives plugin code; put the stand-in ``dataiku`` first."""
    dss_double.reset()
    monkeypatch.syspath_prepend(str(STAND_IN_DIR))
    env = DssEnv(monkeypatch, tmp_path, dss_double)
    for name in ("DKU_DSS_URL", "DKU_API_KEY", "DKUFLOW_SPEC", "DKU_CURRENT_SCENARIO_TRIGGER_FILE"):
        monkeypatch.delenv(name, raising=False)
    env.setenv("DKU_API_TICKET", dss_double.api_ticket)
    env.setenv("DKU_BACKEND_HOST", "127.0.0.1")
    env.setenv("DKU_BACKEND_PORT", str(dss_double.port))
    env.setenv("DKU_CURRENT_PROJECT_KEY", PROJECT_KEY)
    env.setenv("DKU_STAND_IN_DATA_DIR", str(env.data_dir))
    env.setenv("DKU_STAND_IN_SCENARIO_STATE", str(env.scenario_state_path))
    yield env
    intercom = sys.modules.get("dataiku.core.intercom")
    if intercom is not None:
        intercom.clear_remote_dss()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Report which client methods and routes the session exercised on the double."""
    for double in _STARTED:
        methods = double.exercised_client_methods()
        used = {f"{r.node} {r.route_id}" for r in double.request_log if r.status < 400}
        unused = sorted(set(route_table()) - used)
        terminalreporter.write_sep("-", "DSS double")
        terminalreporter.write_line(
            f"{len(methods)} client methods exercised; {len(unused)} of "
            f"{len(route_table())} routes without a successful call"
        )
        if terminalreporter.verbosity >= 0:
            for route_key in unused:
                terminalreporter.write_line(f"  unused: {route_key}")


# ---------------------------------------------------------------- the plugin's macros


class PluginWorld:
    """The plugin installed on the double: settings, data, macros, ledger and reviewers.

    Macros run as DSS runs them (see ``plugin_harness.run_macro``) with the DSS
    environment of ``dss_env``; by default as ``admin`` (the fixture's backend ticket).
    """

    def __init__(self, env: DssEnv, ledger_path: Path) -> None:
        from plugin_harness import plugin_settings, write_claims

        self.env = env
        self.double = env.double
        self.ledger_path = ledger_path
        self.settings = plugin_settings(ledger_path)
        self._ledgers: list[Any] = []
        write_claims(env.data_dir)

    def run(self, macro: str, config: dict[str, Any], **settings: Any) -> Any:
        """Run one macro with the plugin settings (``settings`` override them)."""
        from plugin_harness import run_macro

        return run_macro(macro, config, {**self.settings, **settings})

    def as_user(self, ticket: str) -> None:
        """Run the next macros with another user's API ticket."""
        self.env.setenv("DKU_API_TICKET", ticket)

    def governance(self) -> Any:
        """A governance service on the world's ledger, with the plugin's policy."""
        from model_governance.dss.params import parse_plugin_settings
        from model_governance.ledger import Ledger
        from model_governance.services import GovernanceService

        parsed = parse_plugin_settings(self.settings)
        ledger = Ledger.open(parsed.ledger_url)
        self._ledgers.append(ledger)
        return GovernanceService(ledger, parsed.policy)

    def submit(self, version: str, semver: str = "1.0", **form: Any) -> str:
        """Run 'Submit for review'; returns the new qualification id."""
        from plugin_harness import MODEL_ID, SUBMIT_FORM

        self.run(
            "submit-for-review", {**SUBMIT_FORM, "version_id": version, "semver": semver, **form}
        )
        q = self.governance().ledger.latest_qualification(MODEL_ID, version)
        return str(q.qualification_id)

    def approve(self, qualification_id: str, roles: tuple[str, ...] | None = None) -> Any:
        """Rehearse the rollback, re-run the checks, sign as the fixture's reviewers."""
        from plugin_harness import MODEL_ID, reviewer_principals

        from model_governance.core.workflow import Decision

        service = self.governance()
        q = service.ledger.get_qualification(qualification_id)
        service.record_rollback_drill(
            MODEL_ID, q.version, actor="mle.maria", is_passed=True, target="",
            note="undeploy rehearsed on STAGING-ML-01",
        )  # fmt: skip
        service.rerun_checks(qualification_id, actor="mle.maria")
        reviewers = reviewer_principals(service.policy)
        for role in roles or tuple(reviewers):
            service.sign(qualification_id, reviewers[role], role, Decision.APPROVE, comment="ok")
        return service.ledger.get_qualification(qualification_id)

    def approved_bundle(self, version: str, semver: str) -> str:
        """Submit, approve and create the bundle of a version; returns the bundle id."""
        from plugin_harness import SAVED_MODEL

        self.approve(self.submit(version, semver))
        self.run("create-approved-bundle", {"saved_model_id": SAVED_MODEL, "version_id": version})
        return self.bundles()[-1].bundle_id

    def published_bundle(self, version: str, semver: str, *, govern: str = "APPROVED") -> str:
        """An approved bundle, published, with the Govern status DSS will see."""
        bundle_id = self.approved_bundle(version, semver)
        self.run("publish-bundle", {"bundle_id": bundle_id})
        self.double.state.set_bundle_governance(PROJECT_KEY, bundle_id, govern)
        return bundle_id

    def deploy(self, bundle_id: str, infrastructure: str = "PROD-ML-01", **form: Any) -> Any:
        """Run 'Deploy to an infrastructure'."""
        config = {
            "bundle_id": bundle_id,
            "infrastructure": infrastructure,
            "scoring_dataset": "claims_scored",
            "compliance_folder": "compliance",
            "reason": "CHG-2041",
            **form,
        }
        return self.run("deploy-bundle", config)

    def add_version(self, version_id: str, *, auc: float = 0.94, based_on: str = "v1") -> None:
        """Add a retrained version of the saved model, copied from ``based_on``."""
        state = self.double.state
        with state.lock:
            versions = state.saved_model(PROJECT_KEY, "Zx7kQp2B")["versions"]
            record = copy.deepcopy(versions[based_on])
            for part in (record["details"], record["snippet"]):
                part["fullModelId"] = f"S-{PROJECT_KEY}-Zx7kQp2B-{version_id}"
                part["userMeta"]["name"] = f"Monthly retrain {version_id}"
            record["details"]["perf"]["tiMetrics"]["auc"] = auc
            record["snippet"]["auc"] = auc
            versions[version_id] = record

    def record_evaluation(
        self, day: int, *, auc: float = 0.93, ks: float = 0.05, di: float = 0.95
    ) -> int:
        """Record v1's evaluation of 2024-06-<day> as the evaluation recipe would.

        One numeric feature (claim_amount, KS ``ks``) and one protected attribute
        (patient_gender, disparate impact ``di`` for the male group); returns its id.
        """
        from datetime import date

        from plugin_harness import MODEL_ID

        from model_governance.evaluation import Evaluation, FeatureDrift
        from model_governance.ledger.monitoring import ensure_monitoring_tables
        from model_governance.monitoring import MonitoringService, Window

        drift = FeatureDrift(
            feature="claim_amount", kind="numeric", method="ks", statistic=ks, p_value=0.01,
            drifted=ks > 0.15, psi=0.01, reference_missing_rate=0.0, current_missing_rate=0.0,
            missing_rate_change=0.0,
        )  # fmt: skip
        groups = [
            {"group": "female", "size": 600, "favourable": 510, "rate": 0.85, "ratio": 1.0},
            {"group": "male", "size": 400, "favourable": 340, "rate": 0.85 * di, "ratio": di},
        ]
        fairness = {"patient_gender": {"ratio": di, "groups": groups}}
        governance = self.governance()
        ensure_monitoring_tables(governance.ledger)
        record = MonitoringService(governance).record_evaluation(
            MODEL_ID,
            "v1",
            Window.day(date(2024, 6, day)),
            Evaluation(1000, auc, 0.0, (drift,), fairness),
            source="claims_outcomes",
            actor="monitoring.bot",
        )
        return record.evaluation_id

    def configure(self, **settings: Any) -> None:
        """Change the plugin settings (policy included) before anything is signed."""
        from plugin_harness import plugin_settings

        self.settings = plugin_settings(self.ledger_path, **settings)

    def bundles(self) -> list[Any]:
        """Approved bundles of FRAUD in the ledger, oldest first."""
        from model_governance.ledger.deployments import approved_bundles

        return approved_bundles(self.governance().ledger, PROJECT_KEY)

    def events(self, action: str | None = None) -> list[Any]:
        """Ledger audit events, optionally of one action."""
        ledger = self.governance().ledger
        return [e for e in ledger.iter_events() if action is None or e.action == action]

    def dss_audit_actions(self) -> list[str]:
        """Actions of the custom entries the plugin sent to the DSS audit trail."""
        return [
            entry["customMsgParams"]["action"]
            for entry in self.double.state.audit_log
            if entry["customMsgType"] == "model-governance"
        ]

    def close(self) -> None:
        """Release the ledgers opened by the helpers."""
        for ledger in self._ledgers:
            ledger.engine.dispose()


@pytest.fixture
def plugin(dss_env: DssEnv, tmp_path: Path) -> Iterator[PluginWorld]:
    """The plugin on a fresh double world, SQLite ledger and claims data."""
    world = PluginWorld(dss_env, tmp_path / "ledger" / "ledger.sqlite")
    yield world
    world.close()
