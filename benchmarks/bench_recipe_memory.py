"""Benchmark: peak memory and speed of the evaluation recipe as the row count grows.

Usage (from the repository root):

    .venv/bin/python benchmarks/bench_recipe_memory.py [--sizes 1M,5M,20M]
        [--chunk-rows 100000] [--no-store]

The parent serves the DSS API double, registers v1 of the fixture's saved model (the
'Submit model version for review' macro, run as DSS runs it) and writes, chunk by
chunk, one synthetic scored Parquet dataset per size (claims columns: label, score,
decision, two protected attributes, seven model features, a timestamp; one UTC day
per size). Each size then runs ``custom-recipes/model-governance-evaluate/recipe.py``
in a fresh subprocess with the environment DSS gives a recipe (stand-in ``dataiku``
reading the Parquet file in chunks, the real ``dataikuapi`` client talking to the
double for the Model Evaluation Store). The child reports its own peak RSS
(``VmHWM``, which unlike ``ru_maxrss`` does not carry the parent's peak over fork and
exec) and the peak it had after its imports, so the table shows what the run
itself added. Flat "added" figures mean memory does not grow with the row count.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
TESTS_DIR = ROOT / "tests"
PATHS = (ROOT / "python-lib", TESTS_DIR / "stand_in", TESTS_DIR)
for entry in PATHS:
    sys.path.insert(0, str(entry))

import plugin_harness as harness  # noqa: E402 - needs the paths above
from dss_double import DssDouble  # noqa: E402

GENERATE_ROWS = 250_000
MES_ID = "Mf9RqT1a"
CHILD = """
import json, resource, sys, time
sys.path[:0] = {paths}
import pandas, sqlalchemy, dataikuapi, model_governance.dss.evaluation_recipe
import plugin_harness

def high_water_kb():
    # VmHWM belongs to this process image; ru_maxrss would carry the parent's peak
    # over fork and exec.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

before = high_water_kb()
started = time.perf_counter()
plugin_harness.run_recipe("evaluate")
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "peak_kb": high_water_kb(), "imports_kb": before}}))
"""


def parse_size(text: str) -> int:
    """1M -> 1_000_000, 500k -> 500_000."""
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * scale)


def scored_chunk(rows: int, day: str, rng: np.random.Generator) -> pd.DataFrame:
    """Scored claims rows of one day with a signal the score partly follows."""
    fraud = (rng.random(rows) < 0.06).astype(np.int64)
    score = np.clip(rng.normal(0.2 + 0.5 * fraud, 0.15), 0.0, 1.0)
    seconds = rng.integers(0, 86_400, rows)
    return pd.DataFrame(
        {
            "patient_gender": rng.choice(["female", "male"], rows),
            "patient_age_band": rng.choice(["18-29", "30-39", "40-49", "50-59", "60-69"], rows),
            "member_state": rng.choice(["MA", "NY", "TX", "CA", "OH"], rows),
            "provider_specialty": rng.choice(["general", "orthodontics", "endodontics"], rows),
            "procedure_code": rng.choice(["D0120", "D1110", "D2740", "D3330"], rows),
            "claim_amount": rng.lognormal(5.0, 0.6, rows).round(2),
            "num_procedures": rng.integers(1, 6, rows),
            "claim_lag_days": rng.integers(0, 90, rows),
            "is_fraud": fraud,
            "scored_at": pd.Timestamp(day, tz="UTC") + pd.to_timedelta(seconds, unit="s"),
            "prediction": (score >= 0.5).astype(np.int64),
            "proba_0": 1.0 - score,
            "proba_1": score,
        }
    )


def write_scored(path: Path, rows: int, day: str, row_group: int) -> None:
    """Write ``rows`` scored rows to Parquet without holding them all in memory."""
    rng = np.random.default_rng(rows)
    writer: pq.ParquetWriter | None = None
    try:
        for start in range(0, rows, GENERATE_ROWS):
            chunk = scored_chunk(min(GENERATE_ROWS, rows - start), day, rng)
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=row_group)
    finally:
        if writer is not None:
            writer.close()


def register_version(double: DssDouble, data_dir: Path, settings: dict[str, Any]) -> None:
    """Submit v1 as the macro does, so the recipe finds it in the ledger."""
    os.environ.update(harness.dss_environment(double, data_dir))
    harness.write_claims(data_dir)
    form = {**harness.SUBMIT_FORM, "version_id": "v1"}
    harness.run_macro("submit-for-review", form, settings)


def recipe_env(
    double: DssDouble, data_dir: Path, settings: dict[str, Any], config: dict[str, Any], *,
    name: str, with_store: bool,
) -> dict[str, str]:  # fmt: skip
    """The environment DSS gives the recipe (roles, settings, backend)."""

    def flow(roles: dict[str, str]) -> list[dict[str, str]]:
        return [
            {"role": r, "fullName": f"FRAUD.{n}", "smartName": n, "type": "DATASET"}
            for r, n in roles.items()
        ]

    inputs = {"scored": name, "model": harness.SAVED_MODEL, "reference": "claims_train"}
    outputs = {"metrics": f"metrics_{name}"}
    if with_store:
        outputs["evaluation_store"] = MES_ID
    return {
        **os.environ,
        **harness.dss_environment(double, data_dir),
        "DKUFLOW_SPEC": json.dumps({"in": flow(inputs), "out": flow(outputs)}),
        "DKU_CUSTOM_RECIPE_CONFIG": json.dumps(config),
        "DKU_CUSTOM_RECIPE_PLUGIN_CONFIG": json.dumps(settings),
    }


def run_size(env: dict[str, str]) -> dict[str, Any]:
    """Run the recipe in a fresh interpreter; return its timing and memory report."""
    code = CHILD.format(paths=json.dumps([str(p) for p in PATHS]))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"the recipe failed (exit {done.returncode})")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,5M,20M")
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--no-store", action="store_true", help="leave the MES output out")
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]

    double = DssDouble.start()
    rows_out = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-recipe-") as tmp:
            data_dir = Path(tmp) / "data"
            settings = harness.plugin_settings(Path(tmp) / "ledger.sqlite")
            register_version(double, data_dir, settings)
            for index, rows in enumerate(sizes):
                day = f"2024-06-{index + 1:02d}"
                name = f"scored_{index}"
                started = time.perf_counter()
                write_scored(data_dir / f"{name}.parquet", rows, day, args.chunk_rows)
                generated = time.perf_counter() - started
                config = {
                    "label_column": "is_fraud",
                    "score_column": "proba_1",
                    "favourable_from": "prediction",
                    "prediction_column": "prediction",
                    "favourable_value": "0",
                    "window_mode": "days",
                    "window_last_day": day,
                    "window_days": 1.0,
                    "time_column": "scored_at",
                    "chunk_rows": float(args.chunk_rows),
                }
                env = recipe_env(
                    double, data_dir, settings, config, name=name, with_store=not args.no_store
                )
                report = run_size(env)
                (data_dir / f"{name}.parquet").unlink()
                rows_out.append((rows, generated, report))
                print(f"  {rows:,} rows done ({report['seconds']:.1f} s)", file=sys.stderr)
    finally:
        double.stop()
    print_table(rows_out, args.chunk_rows, not args.no_store)


def print_table(results: list[tuple[int, float, dict[str, Any]]], chunk: int, store: bool) -> None:
    """The table: rows, seconds, peak RSS, RSS after imports, added, rows/s."""
    print(f"\nEvaluation recipe, chunks of {chunk:,} rows, MES output {'on' if store else 'off'}")
    header = ("rows", "seconds", "peak RSS MB", "after imports MB", "added MB", "rows/s")
    print(" | ".join(f"{h:>16}" for h in header))
    for rows, _, report in results:
        peak, base = report["peak_kb"] / 1024, report["imports_kb"] / 1024
        cells = (
            f"{rows:,}",
            f"{report['seconds']:.1f}",
            f"{peak:.0f}",
            f"{base:.0f}",
            f"{peak - base:.0f}",
            f"{rows / report['seconds']:,.0f}",
        )
        print(" | ".join(f"{c:>16}" for c in cells))


if __name__ == "__main__":
    main()
