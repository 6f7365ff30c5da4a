"""Deterministic synthetic dental-claims fraud data.

Ordinary claim features drive fraud; the PHI-looking columns (names, SSNs, birth dates,
ZIP codes) are realistic in shape but random, and exist so the sensitive-data check has
something to catch when a careless candidate uses them. Every value is generated from a
seeded NumPy generator, so a seed always yields the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PROCEDURES = ("D0120", "D0274", "D1110", "D2140", "D2391", "D2740", "D3330", "D4341", "D7140")
PROCEDURE_RISK = (0.0, 0.0, 0.0, 0.2, 0.3, 0.9, 1.1, 0.8, 0.5)
REGIONS = ("northeast", "southeast", "midwest", "southwest", "west")
AGE_GROUPS = ("18-34", "35-49", "50-64", "65+")
GENDERS = ("female", "male")
FIRST_NAMES = ("Maria", "James", "Linda", "Robert", "Ana", "Wei", "Fatima", "John", "Priya")
LAST_NAMES = ("Garcia", "Smith", "Nguyen", "Johnson", "Okafor", "Chen", "Khan", "Brown")

NUMERIC_FEATURES = ("claim_amount", "transaction_freq", "n_prior_claims")
CATEGORICAL_FEATURES = ("procedure_code", "provider_id", "region", "patient_age_group")
PHI_COLUMNS = ("patient_name", "ssn", "birth_date", "patient_zip")
PROTECTED_ATTRIBUTES = ("patient_age_group", "gender")
LABEL = "is_fraud"


@dataclass(frozen=True)
class Drift:
    """How far production data has moved from training (0 means none)."""

    amount_shift: float = 0.0
    frequency_shift: float = 0.0
    concept_noise: float = 0.0


def generate_claims(n_rows: int, *, seed: int, drift: Drift | None = None) -> pd.DataFrame:
    """``n_rows`` claims with a fraud label, reproducible for a given ``seed``."""
    rng = np.random.default_rng(seed)
    drift = drift or Drift()
    providers = np.array([f"P{i:04d}" for i in range(200)])
    provider_risk = rng.normal(0.0, 1.5, size=providers.size)
    provider_idx = rng.integers(0, providers.size, n_rows)
    procedure_idx = rng.integers(0, len(PROCEDURES), n_rows)
    amount = rng.lognormal(5.2 + drift.amount_shift, 0.7, n_rows).round(2)
    freq = rng.poisson(2.0 + drift.frequency_shift, n_rows)
    prior = rng.poisson(1.5, n_rows)
    logit = (
        -12.0
        + 4.0 * (np.log(amount) - 5.2)
        + 2.0 * freq
        + 0.5 * prior
        + 3.0 * np.asarray(PROCEDURE_RISK)[procedure_idx]
        + provider_risk[provider_idx]
    )
    # Concept drift: the fraud mechanism changes, so the trained model loses accuracy.
    logit = logit + drift.concept_noise * rng.normal(0.0, 1.5, n_rows)
    is_fraud = rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "claim_id": [f"C{seed:03d}{i:07d}" for i in range(n_rows)],
            "claim_amount": amount,
            "procedure_code": np.asarray(PROCEDURES)[procedure_idx],
            "provider_id": providers[provider_idx],
            "transaction_freq": freq,
            "n_prior_claims": prior,
            "region": rng.choice(REGIONS, n_rows),
            "patient_age_group": rng.choice(AGE_GROUPS, n_rows, p=(0.3, 0.3, 0.25, 0.15)),
            "gender": rng.choice(GENDERS, n_rows),
        }
    )
    frame = pd.concat([frame, _phi_columns(rng, n_rows)], axis=1)
    frame[LABEL] = is_fraud.astype(int)
    return frame


def _phi_columns(rng: np.random.Generator, n_rows: int) -> pd.DataFrame:
    first = rng.choice(FIRST_NAMES, n_rows)
    last = rng.choice(LAST_NAMES, n_rows)
    area = rng.integers(100, 666, n_rows)
    group = rng.integers(10, 99, n_rows)
    serial = rng.integers(1000, 9999, n_rows)
    born = pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 365 * 60, n_rows), unit="D")
    return pd.DataFrame(
        {
            "patient_name": [f"{a} {b}" for a, b in zip(first, last)],
            "ssn": [f"{a:03d}-{g:02d}-{s:04d}" for a, g, s in zip(area, group, serial)],
            "birth_date": born.strftime("%Y-%m-%d"),
            "patient_zip": [f"{z:05d}" for z in rng.integers(1001, 99950, n_rows)],
        }
    )
