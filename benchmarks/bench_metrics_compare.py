"""Measuring subprocess for fairlearn and Evidently, run from benchmarks/.venv-compare.

Called by bench_metrics.py as ``python bench_metrics_compare.py <task> --data DIR
--repeats N --budget S``; prints one JSON line like the main workers.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_metrics import GROUP_NAMES, load_drift_columns, measure


def _task_di_fairlearn(folder: Path) -> Callable[[], object]:
    from fairlearn.metrics import demographic_parity_ratio

    codes, outcomes = np.load(folder / "groups.npy"), np.load(folder / "outcomes.npy")
    groups = np.array(GROUP_NAMES)[codes]
    # Selection rate of prediction 1 per group, min over max: our ratio with outcome 1
    # favourable when every group is large enough. y_true is required but unused.
    return lambda: demographic_parity_ratio(outcomes, outcomes, sensitive_features=groups)


def _task_drift_evidently(folder: Path) -> Callable[[], object]:
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    reference, current, categorical = load_drift_columns(folder)
    categorical_names = [f"c{i}" for i in range(len(categorical))]
    frames = []
    for side, numeric in ((0, reference), (1, current)):
        columns = dict(numeric)
        columns.update({name: pair[side] for name, pair in zip(categorical_names, categorical)})
        frames.append(pd.DataFrame(columns))
    definition = DataDefinition(
        numerical_columns=list(reference), categorical_columns=categorical_names
    )

    def run() -> object:
        # KS for numeric and PSI for categorical columns: what our kernels compute.
        ref = Dataset.from_pandas(frames[0], data_definition=definition)
        cur = Dataset.from_pandas(frames[1], data_definition=definition)
        report = Report([DataDriftPreset(num_method="ks", cat_method="psi")])
        return report.run(cur, ref)

    return run


TASKS = {"di_fairlearn": _task_di_fairlearn, "drift_evidently": _task_drift_evidently}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--budget", type=float, default=20.0)
    args = parser.parse_args()
    print(json.dumps(measure(TASKS[args.task](args.data), args.repeats, args.budget)))


if __name__ == "__main__":
    main()
