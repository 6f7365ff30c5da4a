"""``make demo-dss``: the macros, recipe and scenario steps end to end, run as in DSS.

The double serves the fixture world (project FRAUD, saved model ``Zx7kQp2B`` with a
clean v1 and a v2 that uses patient identifiers) plus three monthly retrains of v1
(v4, v5, v6) and the version a drift retraining produces (v7). Each macro's
``runnable.py``, the recipe's ``recipe.py`` and each step's ``step.py`` is executed
with the environment DSS gives it (API ticket, backend port, current project, its
settings), and what it returns or sets is printed. Sign-offs go through the
governance service, as the review webapp does; alerts go to a local Slack and
PagerDuty stand-in on 127.0.0.1.

Usage: ``python tests/demo_dss.py [WORKDIR]`` (default ``demo-work/dss``).
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TESTS_DIR = Path(__file__).resolve().parent
for entry in (TESTS_DIR.parent / "python-lib", TESTS_DIR / "stand_in", TESTS_DIR):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import plugin_harness as harness  # noqa: E402 - needs the paths above
from dss_double import DssDouble, load_fixture_data  # noqa: E402
from webhook_receiver import PAGERDUTY_PATH, SLACK_PATH, WebhookReceiver  # noqa: E402

from model_governance.core.errors import GovernanceError  # noqa: E402
from model_governance.core.workflow import Decision, Principal  # noqa: E402
from model_governance.dss.params import parse_plugin_settings  # noqa: E402
from model_governance.ledger import Ledger  # noqa: E402
from model_governance.services import GovernanceService  # noqa: E402

RETRAINS = (("v4", 0.936, "1.1"), ("v5", 0.941, "1.2"), ("v6", 0.944, "1.3"))
DRIFT_RETRAIN = ("v7", 0.947)
API_DEPLOYMENT = "fraud_scoring-on-API-PROD-01"
MES_ID = "Mf9RqT1a"
STEP_VARIABLES = {
    "auc-alert": "auc_alert",
    "auc-drop-bias-shift": "auc_drop_bias_shift",
    "drift-retraining": "drift",
    "gate-check": "gate",
    "submit-retrained": "retrained",
    "canary-decision": "canary",
    "publish-status": "status",
}
ALICE_GROUPS = ("data_scientists",)


class Demo:
    """One transcript: macros run as DSS runs them, with their results printed."""

    def __init__(self, workdir: Path, double: DssDouble) -> None:
        self.workdir = workdir
        self.double = double
        groups = {**harness.POLICY["role_groups"], "data_scientists": ["ml_engineer"]}
        self.settings = harness.plugin_settings(
            workdir / "ledger.sqlite", policy={"role_groups": groups}
        )
        parsed = parse_plugin_settings(self.settings)
        self.ledger = Ledger.open(parsed.ledger_url)
        self.service = GovernanceService(self.ledger, parsed.policy)
        self.step = 0
        self.scenario_state = workdir / "scenario_state.json"
        os.environ["DKU_STAND_IN_SCENARIO_STATE"] = str(self.scenario_state)

    def say(self, text: str) -> None:
        """A narrator line."""
        print(f"\n=== {text}")

    def macro(self, macro: str, config: dict[str, Any], *, refused: bool = False) -> Any:
        """Run one macro and print what it returned (or the refusal DSS would show)."""
        self.step += 1
        print(f"\n[{self.step}] macro {macro} {_short(config)}")
        try:
            result = harness.run_macro(macro, config, self.settings)
        except GovernanceError as exc:
            if not refused:
                raise
            print(f"    FAILED (as DSS shows it): {type(exc).__name__}: {exc}")
            return None
        if refused:
            raise GovernanceError(f"demo: macro {macro} was expected to be refused.")
        for line in _lines(result):
            print(f"    {line}")
        return result

    def sign_all(self, version: str, roles: tuple[str, ...] | None = None) -> None:
        """Rehearse the rollback, re-run the checks, and collect the sign-offs."""
        q = self.ledger.latest_qualification(harness.MODEL_ID, version)
        assert q is not None
        self.service.record_rollback_drill(
            harness.MODEL_ID, version, actor="mle.maria", is_passed=True, target="",
            note="undeploy rehearsed on STAGING-ML-01",
        )  # fmt: skip
        rerun = self.service.rerun_checks(q.qualification_id, actor="mle.maria")
        failing = [c.check_id for c in rerun.checks if c.is_blocking_problem]
        print(f"    mle.maria records a passed rollback drill; checks re-run, failing: {failing}")
        signers = []
        for role, principal in harness.reviewer_principals(self.service.policy).items():
            if roles is None or role in roles:
                self.service.sign(q.qualification_id, principal, role, Decision.APPROVE,
                                  comment=f"{role.replace('_', ' ')} review complete")  # fmt: skip
                signers.append(principal.user)
        state = self.ledger.get_qualification(q.qualification_id).state.value
        print(f"    sign-offs by {', '.join(signers)}: {state}")

    def release(self, version: str, semver: str) -> str:
        """Submit, sign, create and publish a version; Govern approves its bundle."""
        self.macro("submit-for-review", {**harness.SUBMIT_FORM, "version_id": version,
                                         "semver": semver})  # fmt: skip
        self.sign_all(version)
        html = self.macro("create-approved-bundle", {"saved_model_id": harness.SAVED_MODEL,
                                                     "version_id": version})  # fmt: skip
        bundle_id = re.search(r"Approved bundle (\S+) created", html).group(1)
        self.macro("publish-bundle", {"bundle_id": bundle_id})
        self.double.state.set_bundle_governance(harness.PROJECT_KEY, bundle_id, "APPROVED")
        print(f"    (Govern node: bundle {bundle_id} signed off, governance status APPROVED)")
        return bundle_id

    def recipe(self, scored: pd.DataFrame, day: str, *, reference: bool = False) -> None:
        """Run the evaluation recipe on one day of scored claims; print the result."""
        self.step += 1
        scored.to_csv(self.workdir / "data" / "claims_outcomes.csv", index=False)
        inputs = {"scored": ["claims_outcomes"], "model": [harness.SAVED_MODEL]}
        if reference:
            inputs["reference"] = ["claims_train"]
        outputs = {"metrics": ["model_metrics"], "evaluation_store": [MES_ID]}
        flow = {
            direction: [
                {"role": role, "fullName": f"{harness.PROJECT_KEY}.{name}", "smartName": name,
                 "type": "DATASET"}
                for role, names in roles.items() for name in names
            ]
            for direction, roles in (("in", inputs), ("out", outputs))
        }  # fmt: skip
        config = {**harness.EVALUATE_FORM, "window_last_day": day, "version_id": "v6"}
        os.environ.update(
            DKUFLOW_SPEC=json.dumps(flow),
            DKU_CUSTOM_RECIPE_CONFIG=json.dumps(config),
            DKU_CUSTOM_RECIPE_PLUGIN_CONFIG=json.dumps(self.settings),
        )
        harness.run_recipe("evaluate")
        row = pd.read_csv(self.workdir / "data" / "model_metrics.csv").iloc[-1]
        print(f"\n[{self.step}] recipe evaluate {day}: rows {row['rows']}, AUC {row['auc']:.3f}, "
              f"max KS {row['max_ks']:.3f}, lowest disparate impact "
              f"{row['disparate_impact']:.3f}; Model Evaluation Store entry added")  # fmt: skip

    def scenario_step(self, step: str, config: dict[str, Any]) -> dict[str, Any]:
        """Run one scenario step; print its outcome variable and summary."""
        self.step += 1
        os.environ.update(
            DKU_PLUGIN_STEP_CONFIG=json.dumps({"saved_model_id": harness.SAVED_MODEL, **config}),
            DKU_PLUGIN_CONFIG=json.dumps(self.settings),
        )
        print(f"\n[{self.step}] step {step}")
        try:
            harness.run_step(step)
        except GovernanceError as exc:
            print(f"    FAILED (as DSS shows it): {type(exc).__name__}: {exc}")
        variables = json.loads(self.scenario_state.read_text(encoding="utf-8"))
        name = f"governance_{STEP_VARIABLES[step]}"
        report = variables["scenarioVariables"][name]
        print(f"    {name}_outcome = {report['outcome']}: {report['summary']}")
        return dict(report)

    def deploy(self, bundle_id: str) -> None:
        """Deploy to PROD-ML-01."""
        config = {"bundle_id": bundle_id, "infrastructure": "PROD-ML-01",
                  "scoring_dataset": "claims_scored", "compliance_folder": "compliance",
                  "reason": "CHG-2041"}  # fmt: skip
        self.macro("deploy-bundle", config)


def main(argv: list[str]) -> int:
    """Run the demo; returns the process exit code."""
    workdir = Path(argv[1] if len(argv) > 1 else "demo-work/dss").resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    double = DssDouble.start(data=_world_with_retrains())
    try:
        os.environ.update(harness.dss_environment(double, workdir / "data"))
        harness.write_claims(workdir / "data")
        _run(Demo(workdir, double))
    finally:
        double.stop()
    return 0


def _run(demo: Demo) -> None:
    demo.say(f"DSS double at {demo.double.url}; real dataikuapi client; ledger {demo.workdir}")
    demo.say("A data scientist (ds.alice) submits v2, which uses patient identifiers")
    os.environ["DKU_API_TICKET"] = harness.ALICE_TICKET
    demo.macro("submit-for-review", {**harness.SUBMIT_FORM, "version_id": "v2"})
    demo.macro("create-approved-bundle", {"saved_model_id": harness.SAVED_MODEL,
                                          "version_id": "v2"}, refused=True)  # fmt: skip

    demo.say("ds.alice submits the clean v1; she may not approve it herself")
    demo.macro("submit-for-review", {**harness.SUBMIT_FORM, "version_id": "v1"})
    q = demo.ledger.latest_qualification(harness.MODEL_ID, "v1")
    alice = Principal("ds.alice", demo.service.policy.roles_for_groups(ALICE_GROUPS))
    try:
        demo.service.sign(q.qualification_id, alice, "ml_engineer", Decision.APPROVE,
                          comment="looks fine")  # fmt: skip
    except GovernanceError as exc:
        print(f"    sign-off refused: {exc}")
    demo.sign_all("v1")

    demo.say("An ML engineer (admin ticket) creates, publishes and deploys the approved bundles")
    os.environ["DKU_API_TICKET"] = demo.double.api_ticket
    html = demo.macro("create-approved-bundle", {"saved_model_id": harness.SAVED_MODEL,
                                                 "version_id": "v1"})  # fmt: skip
    bundle_id = re.search(r"Approved bundle (\S+) created", html).group(1)
    demo.macro("publish-bundle", {"bundle_id": bundle_id})
    demo.double.state.set_bundle_governance(harness.PROJECT_KEY, bundle_id, "APPROVED")
    demo.deploy(bundle_id)

    demo.say("Monthly retrains v4, v5 and v6 go through the same gate")
    bundles = [bundle_id] + [demo.release(v, s) for v, _, s in RETRAINS]
    demo.deploy(bundles[-1])

    demo.say("An AUC alert: roll back to the previous approved bundle, then prune")
    reason = "Daily AUC 0.86 below the 0.88 alert threshold"
    demo.macro("roll-back", {"infrastructure": "PROD-ML-01", "compliance_folder": "compliance",
                             "reason": reason})  # fmt: skip
    demo.macro("prune-bundles", {})
    _monitor(demo)

    verification = demo.service.verify_audit()
    demo.say(
        f"Ledger audit chain intact: {verification.is_intact} ({verification.events_checked} "
        f"events); DSS audit trail holds {len(demo.double.state.audit_log)} custom entries; "
        f"{len(demo.double.state.sent_mail)} review mails sent"
    )
    demo.ledger.engine.dispose()


def _monitor(demo: Demo) -> None:
    receiver = WebhookReceiver()
    receiver.start()
    try:
        _monitor_days(demo, receiver.settings(max_attempts=2.0, backoff_seconds=0.0))
        print(f"    local Slack stand-in received {len(receiver.bodies(SLACK_PATH))} messages, "
              f"PagerDuty stand-in {len(receiver.bodies(PAGERDUTY_PATH))} events")  # fmt: skip
    finally:
        receiver.stop()


def _monitor_days(demo: Demo, alerting: dict[str, Any]) -> None:
    demo.say("Production monitoring of v6: the evaluation recipe, then the rule steps")
    demo.recipe(_scored_day("2024-06-01", drift=0.0, noise=0.58), "2024-06-01", reference=True)
    rules = {"alerting": alerting, "on_breach": "warn"}
    for step in ("auc-alert", "auc-drop-bias-shift"):
        demo.scenario_step(step, rules)
    demo.scenario_step("drift-retraining", {**rules, "retraining_scenario": "RETRAIN_FRAUD"})

    demo.say("Two weeks later claim amounts have drifted and the AUC has decayed")
    demo.recipe(_scored_day("2024-06-15", drift=0.8, noise=0.7), "2024-06-15")
    for step in ("auc-alert", "auc-drop-bias-shift"):
        demo.scenario_step(step, rules)
    drift = demo.scenario_step(
        "drift-retraining", {**rules, "retraining_scenario": "RETRAIN_FRAUD"}
    )
    print(f"    retraining: {drift['rules'][0]['retraining']}")
    demo.scenario_step("gate-check", {"version_id": "v6"})

    demo.say("The retraining scenario trained v7; it re-enters the gate by the fast track")
    retrained = demo.scenario_step(
        "submit-retrained",
        {"version_id": DRIFT_RETRAIN[0], "documents_folder": "governance_docs",
         "evaluation_dataset": "claims_scored", "sample_rows": 200.0},
    )  # fmt: skip
    print(f"    fast track: {retrained['fast_track']} ({'; '.join(retrained['reasons'])})")
    demo.sign_all(DRIFT_RETRAIN[0], roles=("data_steward", "security_lead", "ml_engineer"))

    demo.say("v7 goes out as a 10 % canary on the API service, then is promoted")
    canary = {
        "saved_model_id": harness.SAVED_MODEL,
        "version_id": DRIFT_RETRAIN[0],
        "deployment_id": API_DEPLOYMENT,
        "new_generation": "v2",
    }
    demo.macro("canary-rollout", canary)
    _query_log(demo.workdir / "data" / "api_query_log.csv")
    demo.scenario_step(
        "canary-decision",
        {"version_id": DRIFT_RETRAIN[0], "deployment_id": API_DEPLOYMENT, "window_hours": 24.0,
         "query_log_dataset": "api_query_log", "timestamp_column": "timestamp",
         "generation_column": "generation", "latency_column": "latency_ms",
         "status_column": "status"},
    )  # fmt: skip
    demo.scenario_step("publish-status", {"saved_model_ids": [harness.SAVED_MODEL]})


def _scored_day(day: str, *, drift: float, noise: float) -> pd.DataFrame:
    """A day of scored claims: scores follow the outcome less as ``noise`` grows."""
    seed = int(day.replace("-", "")) % 10_000
    scored = harness.claims_frames(1200, seed=seed)[1]
    rng = np.random.default_rng(seed)
    signal = scored["is_fraud"].to_numpy() * (1 - noise) + rng.random(len(scored)) * noise
    scored["proba_1"] = signal.round(4)
    scored["proba_0"] = (1 - signal).round(4)
    scored["prediction"] = (signal > 0.5).astype(int)
    scored["claim_amount"] = (scored["claim_amount"] * (1 + drift)).round(2)
    scored["scored_at"] = day
    return scored


def _query_log(path: Path) -> None:
    now = datetime.now(timezone.utc)
    rows = [
        {"timestamp": (now - timedelta(minutes=i)).isoformat(), "generation": generation,
         "latency_ms": 35.0 + (i % 20), "status": 200}
        for i in range(400) for generation in ("v1",) + (("v2",) if i % 10 == 0 else ())
    ]  # fmt: skip
    pd.DataFrame(rows).to_csv(path, index=False)


def _world_with_retrains() -> dict[str, Any]:
    data = load_fixture_data()
    model = data["projects"][0]["savedModels"][0]
    base = next(v for v in model["versions"] if v["id"] == "v1")
    for offset, (version, auc, _) in enumerate((*RETRAINS, (*DRIFT_RETRAIN, "")), start=1):
        retrain = copy.deepcopy(base)
        retrain.update(id=version, active=False, name=f"Monthly retrain {version}",
                       trainedOn=base["trainedOn"] + offset * 30 * 86_400_000)  # fmt: skip
        retrain["metrics"] = {**base["metrics"], "auc": auc}
        model["versions"].append(retrain)
    return data


def _short(config: dict[str, Any]) -> str:
    shown = {k: v for k, v in config.items() if k in ("version_id", "bundle_id", "infrastructure")}
    return " ".join(f"{k}={v}" for k, v in shown.items())


def _lines(result: Any) -> list[str]:
    if hasattr(result, "to_dict"):
        table = result.to_dict()
        return [table["header"], *(" | ".join(map(str, r)) for r in table["records"])]
    text = re.sub(r"</(p|li|tr|h3)>", "\n", str(result))
    text = re.sub(r"</t[dh]>", " | ", text)
    text = re.sub(r"<[^>]+>", "", text).replace("&#x27;", "'").replace("&amp;", "&")
    lines = [line.strip(" |") for line in text.splitlines() if line.strip(" |")]
    documents = [line for line in lines if line.startswith("governance_docs:")]
    if documents:
        folder = documents[0].rsplit("/", 1)[0]
        lines = [line for line in lines if line not in documents and line != "Documents written:"]
        lines.insert(-2, f"Documents written: {len(documents)} files in {folder}/")
    return lines


if __name__ == "__main__":
    sys.exit(main(sys.argv))
