"""Benchmark of the metric kernels against SciPy, scikit-learn, fairlearn and Evidently.

Usage (from the repository root):

    .venv/bin/python benchmarks/bench_metrics.py [--sizes 100k,1M] [--repeats 3]
        [--no-compare] [--drift-max-rows 1M] [--stream-rows 50M]

Each size generates one data set (20 numeric and 2 categorical feature columns on a
reference and a current side, plus labels, scores, a protected group and outcomes),
saves it once, and runs every implementation on it in a fresh subprocess. The table
shows the median wall time over the repeats, the ratio to our kernel, and the peak
resident memory the step added above the loaded data.

fairlearn and Evidently are not dependencies of the plugin: they run from
benchmarks/.venv-compare, created on first use with ``python -m venv`` and
``pip install evidently "pandas<3" fairlearn`` (Evidently needs pandas < 3).
If that fails their rows read "not available".

``--stream-rows N`` instead feeds N rows in chunks through every streaming summary
(AUC, two numeric drift columns against stored reference summaries, one categorical
column, disparate impact) and prints the peak RSS for N / 25, N / 5 and N rows, to show
that memory does not grow with the row count.

The numeric columns mix three drift regimes on purpose: 10 columns without drift, 5
with a slight shift and 5 with a strong one. With about a million rows, the slight
shift puts n * D**2 in the range where SciPy's KS p-value (``scipy.stats.kstwo.sf``,
also used by ``ks_2samp``) sums an exact series of about n / 2 terms; the rows "of
which SciPy KS p-values" and "rest" split our drift time accordingly (the p-values are
timed again in the same process). ``--no-shift`` leaves every numeric column
undrifted, where the p-values are mostly cheap.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python-lib"))
COMPARE_VENV = ROOT / "benchmarks" / ".venv-compare"
COMPARE_WORKER = ROOT / "benchmarks" / "bench_metrics_compare.py"
COMPARE_PACKAGES = ["evidently", "pandas<3", "fairlearn"]

NUMERIC_COLUMNS = 20
CATEGORICAL_COLUMNS = 2
GROUP_NAMES = ["north", "south", "east", "west", "centre", "islands"]
MIN_GROUP_SIZE = 30
CHUNK_ROWS = 1_000_000


# ----------------------------------------------------------------------------- data


def generate_data(
    rows: int, folder: Path, *, with_drift_columns: bool, shifted: bool = True
) -> None:
    """Write one data set of ``rows`` rows per side into ``folder`` as .npy files."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(rows)
    labels = rng.random(rows) < 0.3
    np.save(folder / "labels.npy", labels)
    np.save(folder / "scores.npy", np.clip(rng.normal(0.35 + 0.3 * labels, 0.18), 0, 1))
    np.save(folder / "groups.npy", rng.integers(0, len(GROUP_NAMES), rows).astype(np.int64))
    np.save(folder / "outcomes.npy", (rng.random(rows) < 0.62).astype(np.int8))
    if not with_drift_columns:
        return
    for index in range(NUMERIC_COLUMNS):
        reference, current = _numeric_pair(rng, index, rows, shifted=shifted)
        np.save(folder / f"ref_num_{index:02d}.npy", reference)
        np.save(folder / f"cur_num_{index:02d}.npy", current)
    for index in range(CATEGORICAL_COLUMNS):
        reference, current = _categorical_pair(rng, index, rows)
        np.save(folder / f"ref_cat_{index}.npy", reference)
        np.save(folder / f"cur_cat_{index}.npy", current)


def _numeric_pair(
    rng: np.random.Generator, index: int, rows: int, *, shifted: bool
) -> tuple[Any, Any]:
    # Columns 0-9 do not drift, 10-14 shift slightly, 15-19 shift strongly.
    shift = 0.0 if index < 10 or not shifted else (0.02 if index < 15 else 0.5)
    shape = index % 5
    samples = []
    for offset in (0.0, shift):
        if shape == 0:
            values = rng.normal(offset, 1.0, rows)
        elif shape == 1:
            values = rng.lognormal(offset, 0.8, rows)
        elif shape == 2:
            values = rng.poisson(4.0 + 4.0 * offset, rows).astype(np.float64)  # ties
        elif shape == 3:
            values = rng.uniform(offset, 1.0 + offset, rows)
        else:
            values = rng.exponential(1.0 + offset, rows)
            values[rng.random(rows) < 0.01] = np.nan  # 1 % missing
        samples.append(values)
    return samples[0], samples[1]


def _categorical_pair(rng: np.random.Generator, index: int, rows: int) -> tuple[Any, Any]:
    count = 8 if index == 0 else 50
    names = np.array([f"c{index}_{k:02d}" for k in range(count + 1)])
    weights = rng.dirichlet(np.ones(count))
    reference = names[rng.choice(count, rows, p=weights)]
    drifted = np.append(weights * 0.97, 0.03)  # 3 % of a category unseen in the reference
    current = names[rng.choice(count + 1, rows, p=drifted / drifted.sum())]
    return reference, current


def load_drift_columns(folder: Path) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """Numeric reference and current columns by name, and categorical pairs."""
    reference = {
        f"x{i:02d}": np.load(folder / f"ref_num_{i:02d}.npy") for i in range(NUMERIC_COLUMNS)
    }
    current = {
        f"x{i:02d}": np.load(folder / f"cur_num_{i:02d}.npy") for i in range(NUMERIC_COLUMNS)
    }
    categorical = [
        (np.load(folder / f"ref_cat_{i}.npy"), np.load(folder / f"cur_cat_{i}.npy"))
        for i in range(CATEGORICAL_COLUMNS)
    ]
    return reference, current, categorical


# -------------------------------------------------------------------------- workers


def _task_drift_ours_cold(folder: Path) -> Callable[[], object]:
    from model_governance.core.metrics import numeric_drift_by_column

    reference, current, _ = load_drift_columns(folder)
    return lambda: numeric_drift_by_column(reference, current, max_workers=2)


def _task_drift_ours_stored(folder: Path) -> Callable[[], object]:
    from model_governance.core.metrics import NumericReferenceSummary, numeric_drift_by_column

    reference, current, _ = load_drift_columns(folder)
    # What the ledger stores at approval: JSON dicts, read back before each evaluation.
    stored = {
        name: json.dumps(NumericReferenceSummary.from_values(values).to_dict())
        for name, values in reference.items()
    }
    summaries = {
        name: NumericReferenceSummary.from_dict(json.loads(text)) for name, text in stored.items()
    }
    del reference
    return lambda: numeric_drift_by_column(summaries, current, max_workers=2)


def _task_drift_ours_categorical(folder: Path) -> Callable[[], object]:
    from model_governance.core.metrics import CategoricalSummary, categorical_drift

    _, _, categorical = load_drift_columns(folder)
    stored = []
    for ref, cur in categorical:
        summary = CategoricalSummary()
        summary.update(ref)
        stored.append((CategoricalSummary.from_dict(summary.to_dict()), cur))
    return lambda: [categorical_drift(ref, cur) for ref, cur in stored]


def _task_drift_ours_build(folder: Path) -> Callable[[], object]:
    from model_governance.core.metrics import CategoricalSummary, NumericReferenceSummary

    reference, _, categorical = load_drift_columns(folder)

    def run() -> object:
        summaries = [
            NumericReferenceSummary.from_values(values).to_dict() for values in reference.values()
        ]
        for ref, _cur in categorical:
            CategoricalSummary().update(ref)
        return summaries

    return run


def p_value_seconds(outcome: object) -> float:
    """Time SciPy's p-values again for the (D, n) of a drift outcome (numeric part)."""
    from scipy import stats

    numeric = outcome if isinstance(outcome, dict) else {}
    points = []
    for result in numeric.values():
        m, n = result.ks.n_reference, result.ks.n_current
        points.append((result.ks.statistic, float(np.round(max(m, n) * min(m, n) / (m + n)))))
    start = time.perf_counter()
    # The same public call our kernel and ks_2samp make for samples over 10,000 rows.
    for statistic, effective_n in points:
        stats.kstwo.sf(statistic, effective_n)
    return time.perf_counter() - start


def _task_drift_scipy(folder: Path) -> Callable[[], object]:
    from scipy import stats

    reference, current, _ = load_drift_columns(folder)

    def run() -> object:
        # ks_2samp propagates NaN, so it gets the non-missing values like our kernel.
        return [
            stats.ks_2samp(ref[~np.isnan(ref)], current[name][~np.isnan(current[name])])
            for name, ref in reference.items()
        ]

    return run


def _task_auc_ours(folder: Path) -> Callable[[], object]:
    from model_governance.core.metrics import roc_auc

    labels, scores = np.load(folder / "labels.npy"), np.load(folder / "scores.npy")
    return lambda: roc_auc(labels, scores, positive_label=True)


def _task_auc_sklearn(folder: Path) -> Callable[[], object]:
    from sklearn.metrics import roc_auc_score

    labels, scores = np.load(folder / "labels.npy"), np.load(folder / "scores.npy")
    return lambda: roc_auc_score(labels, scores)


def _task_di_ours(folder: Path) -> Callable[[], object]:
    from model_governance.core.metrics import disparate_impact_ratio

    groups, outcomes = np.load(folder / "groups.npy"), np.load(folder / "outcomes.npy")
    return lambda: disparate_impact_ratio(
        groups, outcomes, min_group_size=MIN_GROUP_SIZE, group_names=GROUP_NAMES
    )


TASKS: dict[str, Callable[[Path], Callable[[], object]]] = {
    "drift_ours_cold": _task_drift_ours_cold,
    "drift_ours_stored": _task_drift_ours_stored,
    "drift_ours_build": _task_drift_ours_build,
    "drift_ours_categorical": _task_drift_ours_categorical,
    "drift_scipy": _task_drift_scipy,
    "auc_ours": _task_auc_ours,
    "auc_sklearn": _task_auc_sklearn,
    "di_ours": _task_di_ours,
}


def measure(
    run: Callable[[], object],
    repeats: int,
    budget_seconds: float,
    part: Callable[[object], float] | None = None,
) -> dict[str, Any]:
    """Median time of up to ``repeats`` runs (fewer past the budget), peak memory.

    ``part``, given a run's outcome, times a component again in the same process (the
    KS p-values), so that its share is measured under the same load as the run.
    """
    rss_before = _reset_peak_rss()
    timings: list[float] = []
    parts: list[float] = []
    while len(timings) < repeats and (not timings or sum(timings) < budget_seconds):
        start = time.perf_counter()
        outcome = run()
        timings.append(time.perf_counter() - start)
        if part is not None:
            parts.append(part(outcome))
    peak = _peak_rss_bytes()
    summary = {
        "seconds": statistics.median(timings),
        "runs": len(timings),
        "extra_peak_mb": max(peak - rss_before, 0) / 2**20,
        "peak_mb": peak / 2**20,
    }
    if parts:
        summary["part_seconds"] = statistics.median(parts)
        summary["rest_seconds"] = statistics.median(t - p for t, p in zip(timings, parts))
    return summary


def _reset_peak_rss() -> int:
    """Reset the kernel's peak-RSS mark (Linux) so set-up peaks do not count."""
    # Without /proc the lifetime peak (ru_maxrss) is reported instead.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status_bytes("VmRSS") or 0


def _peak_rss_bytes() -> int:
    return _status_bytes("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _status_bytes(field: str) -> int | None:
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024  # reported in kB
    return None


def run_worker(task: str, folder: Path, repeats: int, budget_seconds: float) -> None:
    """Entry point of a measuring subprocess: prints one JSON line."""
    part = p_value_seconds if task in ("drift_ours_cold", "drift_ours_stored") else None
    print(json.dumps(measure(TASKS[task](folder), repeats, budget_seconds, part)))


# ------------------------------------------------------------------------ streaming


def run_stream_worker(rows: int) -> None:
    """Feed ``rows`` rows in chunks through every summary; print time and peak RSS."""
    from model_governance.core.metrics import (
        CategoricalSummary,
        GroupOutcomeSummary,
        NumericCurrentSummary,
        NumericReferenceSummary,
        ScoreSummary,
        categorical_drift,
    )

    rng = np.random.default_rng(7)
    references = [
        NumericReferenceSummary.from_values(rng.normal(size=CHUNK_ROWS)) for _ in range(2)
    ]
    categories = np.array([f"k{k:02d}" for k in range(20)])
    cat_reference = CategoricalSummary()
    cat_reference.update(categories[rng.integers(0, 20, CHUNK_ROWS)])
    scores, fairness = ScoreSummary(), GroupOutcomeSummary()
    windows, cat_current = [NumericCurrentSummary(ref) for ref in references], CategoricalSummary()

    start = time.perf_counter()
    for offset in range(0, rows, CHUNK_ROWS):
        size = min(CHUNK_ROWS, rows - offset)
        labels = rng.random(size) < 0.3
        scores.update(labels, np.clip(rng.normal(0.35 + 0.3 * labels, 0.18), 0, 1))
        for window in windows:
            window.update(rng.normal(0.01, 1.0, size))
        cat_current.update(categories[rng.integers(0, 20, size)])
        fairness.update(rng.integers(0, 6, size), rng.random(size) < 0.6, group_names=GROUP_NAMES)
    outcome = (
        scores.result(),
        [window.result() for window in windows],
        categorical_drift(cat_reference, cat_current),
        fairness.result(min_group_size=MIN_GROUP_SIZE),
    )
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps(
            {"rows": rows, "seconds": elapsed, "peak_mb": peak / 2**20, "auc": outcome[0].auc}
        )
    )


def stream_table(total_rows: int) -> None:
    print(f"\nStreaming summaries, chunks of {CHUNK_ROWS:,} rows (AUC, 2 numeric + 1 categorical")
    print("drift columns against stored references, disparate impact), one process per row count:")
    print(f"{'rows':>14} {'seconds':>9} {'rows/s':>12} {'peak RSS MB':>12}")
    for rows in sorted({max(total_rows // 25, 1), max(total_rows // 5, 1), total_rows}):
        result = _run_json([sys.executable, __file__, "--stream-worker", str(rows)])
        if "error" in result:
            print(f"{rows:>14,} failed: {result['error']}")
            continue
        print(
            f"{rows:>14,} {result['seconds']:>9.2f} {rows / result['seconds']:>12,.0f} "
            f"{result['peak_mb']:>12.0f}"
        )


# ---------------------------------------------------------------------- comparison


def ensure_compare_venv() -> tuple[Path | None, str]:
    """The comparison interpreter, creating its venv on first use; or None and why."""
    python = COMPARE_VENV / "bin" / "python"
    probe = [str(python), "-c", "import evidently, fairlearn"]
    if python.exists() and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return python, ""
    print(f"Creating {COMPARE_VENV} (fairlearn, Evidently, pandas<3); this takes a few minutes...")
    steps = [
        [sys.executable, "-m", "venv", str(COMPARE_VENV)],
        [str(python), "-m", "pip", "install", "--quiet", *COMPARE_PACKAGES],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return None, (done.stderr.strip().splitlines() or ["install failed"])[-1][:60]
    return python, ""


def _run_json(command: list[str]) -> dict[str, Any]:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        message = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": message[:70]}
    return dict(json.loads(lines[-1]))


def plan(
    compare_python: Path | None, compare_reason: str
) -> list[tuple[str, str, list[str] | str]]:
    """(metric, implementation, command prefix or 'not available' reason) rows."""
    ours = [sys.executable, __file__, "--worker"]
    other = [str(compare_python), str(COMPARE_WORKER)] if compare_python else None
    unavailable = f"not available ({compare_reason})"
    return [
        ("drift", "ours 20 numeric, cold (exact, raw both)", [*ours, "drift_ours_cold"]),
        ("drift", "ours 20 numeric, stored reference", [*ours, "drift_ours_stored"]),
        ("drift", "ours 2 categorical, stored reference", [*ours, "drift_ours_categorical"]),
        ("drift", "ours reference summaries build (once)", [*ours, "drift_ours_build"]),
        ("drift", "scipy ks_2samp, 20 numeric columns", [*ours, "drift_scipy"]),
        (
            "drift",
            "Evidently preset ks/psi, all 22 cols",
            [*other, "drift_evidently"] if other else unavailable,
        ),
        ("auc", "ours roc_auc", [*ours, "auc_ours"]),
        ("auc", "sklearn roc_auc_score", [*ours, "auc_sklearn"]),
        ("di", "ours disparate_impact_ratio", [*ours, "di_ours"]),
        (
            "di",
            "fairlearn demographic_parity_ratio",
            [*other, "di_fairlearn"] if other else unavailable,
        ),
    ]


def parse_rows(text: str) -> int:
    """'100k' -> 100000, '1M' -> 1000000, '2500' -> 2500."""
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def run_comparison(args: argparse.Namespace) -> None:
    sizes = [parse_rows(item) for item in args.sizes.split(",")]
    drift_max = parse_rows(args.drift_max_rows)
    python, reason = (None, "--no-compare") if args.no_compare else ensure_compare_venv()
    rows_plan = plan(python, reason)
    print(f"2 cores expected; load average at start: {os.getloadavg()[0]:.1f}")
    print(
        f"\n{'metric':<6} {'rows':>11}  {'implementation':<40} {'median s':>9} {'runs':>4} "
        f"{'vs ours':>8} {'+peak MB':>9}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as scratch:
        for size in sizes:
            folder = Path(scratch) / str(size)
            generate_data(
                size, folder, with_drift_columns=size <= drift_max, shifted=not args.no_shift
            )
            _print_size(size, folder, rows_plan, args, drift_max)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


def _print_size(
    size: int,
    folder: Path,
    rows_plan: list[tuple[str, str, list[str] | str]],
    args: argparse.Namespace,
    drift_max: int,
) -> None:
    baseline: dict[str, float] = {}
    measured: dict[str, dict[str, Any]] = {}
    for metric, name, command in rows_plan:
        if metric == "drift" and size > drift_max:
            reason = f"skipped (rows > --drift-max-rows {args.drift_max_rows})"
            result: dict[str, Any] = {"error": reason}
        elif isinstance(command, str):
            result = {"error": command}
        else:
            options = ["--data", str(folder), "--repeats", str(args.repeats)]
            result = _run_json([*command, *options, "--budget", str(args.budget)])
        baseline.setdefault(metric, result.get("seconds", float("nan")))
        measured[name] = result
        _print_row(metric, size, name, result, baseline[metric])
        if "part_seconds" in result:
            _print_split(metric, size, result, baseline[metric])


def _print_split(metric: str, size: int, result: dict[str, Any], ours: float) -> None:
    """The same runs split into SciPy's KS p-values and everything else."""
    memory = result["extra_peak_mb"]
    for label, key in (("of which SciPy KS p-values", "part_seconds"), ("rest", "rest_seconds")):
        row = {"seconds": result[key], "runs": result["runs"], "extra_peak_mb": memory}
        _print_row(metric, size, f"  {label}", row, ours)


def _print_row(metric: str, size: int, name: str, result: dict[str, Any], ours: float) -> None:
    if "error" in result:
        print(f"{metric:<6} {size:>11,}  {name:<40} {result['error']}")
        return
    ratio = result["seconds"] / ours if ours == ours and ours > 0 else float("nan")
    print(
        f"{metric:<6} {size:>11,}  {name:<40} {result['seconds']:>9.3f} {result['runs']:>4} "
        f"{ratio:>7.1f}x {result['extra_peak_mb']:>9.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="100k,1M", help="comma-separated row counts, e.g. 100k,1M,10M"
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument(
        "--budget", type=float, default=20.0, help="stop repeating after this many seconds"
    )
    parser.add_argument("--drift-max-rows", default="1M", help="largest size for the drift rows")
    parser.add_argument("--no-compare", action="store_true", help="skip fairlearn and Evidently")
    parser.add_argument(
        "--no-shift", action="store_true", help="no drifted numeric columns (cheap p-values)"
    )
    parser.add_argument("--stream-rows", type=parse_rows, help="streaming memory check for N rows")
    parser.add_argument("--worker", choices=sorted(TASKS), help=argparse.SUPPRESS)
    parser.add_argument("--stream-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    os.environ.setdefault("PYTHONHASHSEED", "0")
    if args.worker:
        run_worker(args.worker, args.data, args.repeats, args.budget)
    elif args.stream_worker:
        run_stream_worker(args.stream_worker)
    elif args.stream_rows:
        stream_table(args.stream_rows)
    else:
        run_comparison(args)


if __name__ == "__main__":
    main()
