"""``model-governance demo``: the gate end to end on synthetic dental-claims data.

Every governance step goes through the real command line against a fresh home in the
work folder, and each command is echoed, so the output reads as a transcript that a
user can replay by hand. An unexpected exit code stops the demo with an error.
"""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pandas as pd

from model_governance import cli
from model_governance.core.errors import GovernanceError
from model_governance.core.policy import Policy
from model_governance.core.workflow import role_label
from model_governance.demo.claims import (
    CATEGORICAL_FEATURES,
    LABEL,
    NUMERIC_FEATURES,
    generate_claims,
)
from model_governance.demo.production import run_production
from model_governance.demo.training import evidence_document, train_candidate
from model_governance.local import LocalHome

MODEL_ID = "dental-claims-fraud"
REVIEWERS = {
    "review_board": "rbaker",
    "data_steward": "dsteward",
    "security_lead": "slee",
    "ml_engineer": "mengineer",
}
SUBMITTER = "ascientist"
ORDINARY_FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
CARELESS_FEATURES = (*ORDINARY_FEATURES, "birth_date", "patient_zip")


class Demo:
    """A transcript of governance commands against one home."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.home = workdir / ".model-governance"

    def run(self, *args: str, expect: int = 0) -> int:
        """Echo and run one command; stop the demo on an unexpected exit code."""
        argv = ["--home", str(self.home), *args]
        print(f"\n$ model-governance {shlex.join(args)}")
        code = cli.main(argv)
        if code != expect:
            raise GovernanceError(
                f"demo: `model-governance {shlex.join(args)}` exited {code}, expected {expect}."
            )
        return code

    def say(self, text: str) -> None:
        """A narrator line."""
        print(f"\n=== {text}")


def run_demo(workdir: Path, *, rows: int = 40_000, seed: int = 7) -> None:
    """Generate data, train two candidates, and take them through the gate."""
    if workdir.exists():
        shutil.rmtree(workdir)
    (workdir / "models").mkdir(parents=True)
    demo = Demo(workdir)
    claims = generate_claims(rows, seed=seed)
    claims.to_csv(workdir / "claims.csv", index=False)
    demo.say(f"{rows} synthetic dental claims written to {workdir / 'claims.csv'}")
    demo.run("init")
    for role, user in REVIEWERS.items():
        demo.run("users", "add", user, "--role", role)
    demo.run("users", "add", SUBMITTER, "--role", "ml_engineer")
    _set_demo_passwords(demo)
    _careless_candidate(demo, claims)
    _corrected_candidate(demo, claims)
    run_production(demo, model_id=MODEL_ID, version="v2", reviewers=REVIEWERS, seed=seed, out=print)
    demo.say("The audit trail of every step above")
    demo.run("audit", "verify")
    demo.run("audit", "export", "--output", str(workdir / "audit.jsonl"))
    print(f"\nDemo finished. Work folder: {workdir}")
    _print_webapp_hint(demo)


def demo_password(user: str) -> str:
    """The review-board password the demo gives ``user`` (for the demo home only)."""
    return f"{user}-demo-pass"


def _set_demo_passwords(demo: Demo) -> None:
    home = LocalHome(demo.home)
    for user in (*REVIEWERS.values(), SUBMITTER):
        home.set_password(user, demo_password(user))
    demo.say(
        "Each demo user gets a review-board password "
        "(`model-governance users passwd NAME` sets one by hand)"
    )


def _print_webapp_hint(demo: Demo) -> None:
    print("\nOpen the review board on the demo's ledger:")
    print(f"  model-governance serve --home {demo.home}")
    print("  then browse http://127.0.0.1:8765/ and log in as")
    for role, user in REVIEWERS.items():
        print(f"    {user:<11} password {demo_password(user):<22} {role_label(role)}")
    print(
        f"    {SUBMITTER:<11} password {demo_password(SUBMITTER):<22} "
        "the submitter (the board refuses their sign-off)"
    )


def _submit(
    demo: Demo, claims: pd.DataFrame, *, version: str, semver: str, features: tuple[str, ...]
) -> None:
    candidate = train_candidate(claims, version=version, semver=semver, features=features)
    artifact = demo.workdir / "models" / f"{version}.pkl"
    evidence = evidence_document(candidate, claims, Policy(), artifact)
    path = demo.workdir / f"evidence-{version}.json"
    path.write_text(json.dumps(evidence, indent=2), encoding="utf-8")
    scores = pd.DataFrame({"label": candidate.test[LABEL].to_numpy(), "score": candidate.scores})
    scores.to_csv(demo.workdir / f"test-scores-{version}.csv", index=False)
    demo.say(f"Candidate {version}: test AUC {candidate.auc:.3f}, features {', '.join(features)}")
    demo.run("register", "--evidence", str(path), "--artifact", str(artifact), "--as", SUBMITTER)
    demo.run(
        "drill",
        MODEL_ID,
        version,
        "--passed",
        "--as",
        REVIEWERS["ml_engineer"],
        "--note",
        "first release: undeploy rehearsed on the staging infrastructure",
    )
    demo.run("submit", MODEL_ID, version, "--as", SUBMITTER)


def _careless_candidate(demo: Demo, claims: pd.DataFrame) -> None:
    demo.say("A careless first candidate uses the patient's birth date and ZIP code")
    _submit(demo, claims, version="v1", semver="1.0", features=CARELESS_FEATURES)
    demo.run("gate", MODEL_ID, "v1", expect=1)
    demo.run(
        "sign",
        "Q-000001",
        "--as",
        REVIEWERS["security_lead"],
        "--role",
        "security_lead",
        "--reject",
        "--comment",
        "Uses PHI (birth date, ZIP code) as features.",
    )
    demo.say("A rejected qualification cannot be signed any more")
    demo.run(
        "sign",
        "Q-000001",
        "--as",
        REVIEWERS["review_board"],
        "--role",
        "review_board",
        "--approve",
        "--comment",
        "Looks fine to me.",
        expect=1,
    )


def _corrected_candidate(demo: Demo, claims: pd.DataFrame) -> None:
    demo.say("The corrected candidate drops the PHI columns")
    _submit(demo, claims, version="v2", semver="1.1", features=ORDINARY_FEATURES)
    demo.say("Checks pass, but the gate stays closed until every reviewer signs")
    demo.run("gate", MODEL_ID, "v2", expect=1)
    demo.say("The submitter cannot approve their own model")
    demo.run(
        "sign",
        "Q-000002",
        "--as",
        SUBMITTER,
        "--role",
        "ml_engineer",
        "--approve",
        "--comment",
        "I trust it.",
        expect=1,
    )
    for role, user in REVIEWERS.items():
        demo.run(
            "sign",
            "Q-000002",
            "--as",
            user,
            "--role",
            role,
            "--approve",
            "--comment",
            f"{role.replace('_', ' ')} review complete.",
        )
        if role == "security_lead":
            demo.say("Three of four roles have approved: still closed")
            demo.run("gate", MODEL_ID, "v2", expect=1)
    demo.say("Every required role approved: the gate opens")
    demo.run("gate", MODEL_ID, "v2")
    demo.say("Model card, experiment summary and review-board packet, stored with their hashes")
    for qualification, version in (("Q-000001", "v1"), ("Q-000002", "v2")):
        demo.run(
            "card",
            qualification,
            "--output",
            str(demo.workdir / "documents"),
            "--scores",
            str(demo.workdir / f"test-scores-{version}.csv"),
        )
