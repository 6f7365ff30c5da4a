"""Running the plugin's macros the way DSS runs them, against the DSS double.

DSS runs a macro by executing its ``runnable.py`` in a fresh Python process whose
environment names the backend (API ticket, host, port, current project), building
``MyRunnable(project_key, config, plugin_config)`` and calling ``run(progress)``.
:func:`run_macro` does the same in-process: the module file is executed under a unique
name, the environment is whatever the caller set (the ``dss_env`` fixture, or
:func:`dss_environment` for scripts), and the runnable's return value is handed back.

Also here: the synthetic data behind the fixture datasets (``claims_train`` with its
PHI columns, ``claims_scored``), plugin settings, and the fixture's reviewers.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TESTS_DIR = Path(__file__).resolve().parent
ROOT = TESTS_DIR.parent
RUNNABLES_DIR = ROOT / "python-runnables"
STAND_IN_DIR = TESTS_DIR / "stand_in"
PLUGIN_ID = "model-governance"
PROJECT_KEY = "FRAUD"
SAVED_MODEL = "Zx7kQp2B"
MODEL_ID = f"{PROJECT_KEY}.{SAVED_MODEL}"
ALICE_TICKET = "dku-ticket-alice-0002"
MARIA_TICKET = "dku-ticket-maria-0003"

MACROS = (
    "submit-for-review",
    "create-approved-bundle",
    "publish-bundle",
    "deploy-bundle",
    "roll-back",
    "prune-bundles",
    "canary-rollout",
    "record-rollback-drill",
)

REVIEWERS = {
    "review_board": ("arb.chair", "architecture_review_board"),
    "data_steward": ("steward.dan", "data_stewards"),
    "security_lead": ("sec.lead", "security"),
    "ml_engineer": ("mle.maria", "ml_engineers"),
}
"""Role -> (fixture user, fixture DSS group giving the role)."""

POLICY = {
    "approved_code_envs": ["py311_fraud"],
    "role_groups": {group: [role] for role, (_, group) in REVIEWERS.items()},
}

SUBMIT_FORM = {
    "saved_model_id": SAVED_MODEL,
    "semver": "1.0",
    "documents_folder": "governance_docs",
    "purpose": "Flag dental claims likely to be fraudulent for manual review.",
    "business_kpi": "Recovered fraudulent payouts per reviewer hour",
    "rollback_strategy": "Redeploy the previous approved bundle; first release: undeploy.",
    "sample_rows": 500.0,
    "evaluation_dataset": "claims_scored",
    "protected_attributes": ["patient_gender", "patient_age_band"],
    "prediction_column": "prediction",
    "favourable_value": "0",
}

EVALUATE_FORM = {
    "label_column": "is_fraud",
    "score_column": "proba_1",
    "favourable_from": "prediction",
    "prediction_column": "prediction",
    "favourable_value": "0",
    "window_mode": "days",
    "window_last_day": "2024-06-01",
    "window_days": 1.0,
    "time_column": "scored_at",
    "if_evaluated": "fail",
    "chunk_rows": 1000.0,
}
"""The evaluation recipe's settings for one day of ``claims_scored``."""

_counter = itertools.count(1)


def plugin_settings(ledger_path: Path, **overrides: Any) -> dict[str, Any]:
    """Plugin settings as DSS passes them: SQLite ledger, policy JSON, mail, audit."""
    policy = {**POLICY, **overrides.pop("policy", {})}
    settings: dict[str, Any] = {
        "ledger_url": "",
        "ledger_sqlite_path": str(ledger_path),
        "policy_json": json.dumps(policy),
        "mail_channel_id": "governance-mail",
        "reviewer_emails": ["raj.patel@insurer.example", "dan.okafor@insurer.example"],
        "send_dss_audit": True,
        "govern_enabled": False,
    }
    settings.update(overrides)
    return settings


def load_runnable(macro: str) -> type:
    """Execute the macro's ``runnable.py`` as a fresh module; return ``MyRunnable``."""
    module = execute_script(RUNNABLES_DIR / f"{PLUGIN_ID}-{macro}" / "runnable.py", "dss_macro")
    return module.MyRunnable


def run_macro(
    macro: str,
    config: dict[str, Any],
    plugin_config: dict[str, Any],
    project_key: str | None = None,
) -> Any:
    """Build the macro's runnable as DSS does and run it; returns what run() returns."""
    runnable_class = load_runnable(macro)
    key = project_key or os.environ.get("DKU_CURRENT_PROJECT_KEY", PROJECT_KEY)
    runnable = runnable_class(key, json.loads(json.dumps(config)), plugin_config)
    progress: list[int] = []
    return runnable.run(progress.append)


def claims_frames(rows: int = 1200, *, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic ``claims_train`` (with PHI/PCI columns) and ``claims_scored`` rows."""
    rng = np.random.default_rng(seed)
    gender = rng.choice(["female", "male"], rows)
    age = rng.choice(["18-29", "30-39", "40-49", "50-59", "60-69"], rows)
    amount = rng.lognormal(5.0, 0.6, rows).round(2)
    fraud = (rng.random(rows) < 0.06).astype(int)
    born = pd.Timestamp("1945-01-01") + pd.to_timedelta(rng.integers(0, 365 * 60, rows), unit="D")
    common = {
        "claim_id": [f"C{seed:02d}{i:06d}" for i in range(rows)],
        "patient_gender": gender,
        "patient_age_band": age,
        "member_state": rng.choice(["MA", "NY", "TX", "CA", "OH"], rows),
        "provider_specialty": rng.choice(["general", "orthodontics", "endodontics"], rows),
        "procedure_code": rng.choice(["D0120", "D1110", "D2740", "D3330"], rows),
        "claim_amount": amount,
        "num_procedures": rng.integers(1, 6, rows),
        "claim_lag_days": rng.integers(0, 90, rows),
        "is_fraud": fraud,
    }
    train = pd.DataFrame(
        {
            **common,
            "patient_name": [f"Patient {i} Smith" for i in range(rows)],
            "ssn": [f"{rng.integers(100, 666):03d}-{rng.integers(10, 99):02d}-"
                    f"{rng.integers(1000, 9999):04d}" for _ in range(rows)],
            "birth_date": born.strftime("%Y-%m-%d"),
            "patient_zip": [f"{z:05d}" for z in rng.integers(1001, 99950, rows)],
            "payment_card_number": [_card(rng) for _ in range(rows)],
        }
    )  # fmt: skip
    flagged = rng.random(rows) < 0.1
    scored = pd.DataFrame(
        {
            **{k: v for k, v in common.items() if k != "claim_id"},
            "claim_id": common["claim_id"],
            "scored_at": "2024-06-01",
            "prediction": flagged.astype(int),
            "proba_0": np.where(flagged, 0.3, 0.9),
            "proba_1": np.where(flagged, 0.7, 0.1),
        }
    )
    return train, scored


def write_claims(data_dir: Path, rows: int = 1200) -> None:
    """Store the two datasets where the stand-in ``dataiku.Dataset`` reads them."""
    train, scored = claims_frames(rows)
    data_dir.mkdir(parents=True, exist_ok=True)
    train.to_csv(data_dir / "claims_train.csv", index=False)
    scored.to_csv(data_dir / "claims_scored.csv", index=False)


def dss_environment(double: Any, data_dir: Path, *, ticket: str | None = None) -> dict[str, str]:
    """The variables DSS sets for a macro of project FRAUD (and the stand-in data)."""
    return {
        "DKU_API_TICKET": ticket or double.api_ticket,
        "DKU_BACKEND_HOST": "127.0.0.1",
        "DKU_BACKEND_PORT": str(double.port),
        "DKU_CURRENT_PROJECT_KEY": PROJECT_KEY,
        "DKU_STAND_IN_DATA_DIR": str(data_dir),
    }


def reviewer_principals(policy: Any) -> dict[str, Any]:
    """The fixture's reviewers, with the roles their DSS groups give them."""
    from model_governance.core.workflow import Principal

    return {
        role: Principal(user, policy.roles_for_groups((group,)))
        for role, (user, group) in REVIEWERS.items()
    }


def _card(rng: np.random.Generator) -> str:
    digits = [4, *rng.integers(0, 10, 14).tolist()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        doubled = d * 2 if i % 2 == 0 else d
        total += doubled - 9 if doubled > 9 else doubled
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


RECIPES_DIR = ROOT / "custom-recipes"


def run_recipe(recipe: str) -> Any:
    """Execute the recipe's ``recipe.py`` as DSS does: a fresh module, the env as set.

    DSS runs ``recipe.py`` as a script whose roles and settings come from the
    environment (``dss_env.set_recipe``); the module is returned for inspection.
    """
    return execute_script(RECIPES_DIR / f"{PLUGIN_ID}-{recipe}" / "recipe.py", "dss_recipe")


STEPS_DIR = ROOT / "python-steps"


def run_step(step: str) -> Any:
    """Execute the step's ``step.py`` as DSS does: a fresh module, the env as set.

    The step reads its settings from the environment (``dss_env.set_step``) and the
    running scenario from the stand-in's state file (``dss_env.set_scenario``).
    """
    return execute_script(STEPS_DIR / f"{PLUGIN_ID}-{step}" / "step.py", "dss_step")


def execute_script(path: Path, prefix: str) -> Any:
    """Run a plugin script as a new module with a unique name; return the module."""
    name = f"{prefix}_{path.parent.name.replace('-', '_')}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
