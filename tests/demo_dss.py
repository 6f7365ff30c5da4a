"""``make demo-dss``: the six macros end to end against the DSS double, run as in DSS.

The double serves the fixture world (project FRAUD, saved model ``Zx7kQp2B`` with a
clean v1 and a v2 that uses patient identifiers) plus three monthly retrains of v1
(v4, v5, v6). Each macro's ``runnable.py`` is executed with the environment DSS gives
a macro (API ticket, backend port, current project), and what it returns is printed.
Sign-offs go through the governance service, as the review webapp does.

Usage: ``python tests/demo_dss.py [WORKDIR]`` (default ``demo-work/dss``).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

TESTS_DIR = Path(__file__).resolve().parent
for entry in (TESTS_DIR.parent / "python-lib", TESTS_DIR / "stand_in", TESTS_DIR):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import plugin_harness as harness  # noqa: E402 - needs the paths above
from dss_double import DssDouble, load_fixture_data  # noqa: E402

from model_governance.core.errors import GovernanceError  # noqa: E402
from model_governance.core.workflow import Decision, Principal  # noqa: E402
from model_governance.dss.params import parse_plugin_settings  # noqa: E402
from model_governance.ledger import Ledger  # noqa: E402
from model_governance.services import GovernanceService  # noqa: E402

RETRAINS = (("v4", 0.936, "1.1"), ("v5", 0.941, "1.2"), ("v6", 0.944, "1.3"))
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

    def sign_all(self, version: str) -> None:
        """Rehearse the rollback, re-run the checks, and collect the four sign-offs."""
        q = self.ledger.latest_qualification(harness.MODEL_ID, version)
        assert q is not None
        self.service.record_rollback_drill(
            harness.MODEL_ID, version, actor="mle.maria", is_passed=True, target="",
            note="undeploy rehearsed on STAGING-ML-01",
        )  # fmt: skip
        rerun = self.service.rerun_checks(q.qualification_id, actor="mle.maria")
        failing = [c.check_id for c in rerun.checks if c.is_blocking_problem]
        print(f"    mle.maria records a passed rollback drill; checks re-run, failing: {failing}")
        for role, principal in harness.reviewer_principals(self.service.policy).items():
            self.service.sign(q.qualification_id, principal, role, Decision.APPROVE,
                              comment=f"{role.replace('_', ' ')} review complete")  # fmt: skip
        state = self.ledger.get_qualification(q.qualification_id).state.value
        print(f"    sign-offs by arb.chair, steward.dan, sec.lead, mle.maria: {state}")

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

    verification = demo.service.verify_audit()
    demo.say(
        f"Ledger audit chain intact: {verification.is_intact} ({verification.events_checked} "
        f"events); DSS audit trail holds {len(demo.double.state.audit_log)} custom entries; "
        f"{len(demo.double.state.sent_mail)} review mails sent"
    )
    demo.ledger.engine.dispose()


def _world_with_retrains() -> dict[str, Any]:
    data = load_fixture_data()
    model = data["projects"][0]["savedModels"][0]
    base = next(v for v in model["versions"] if v["id"] == "v1")
    for offset, (version, auc, _) in enumerate(RETRAINS, start=1):
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
