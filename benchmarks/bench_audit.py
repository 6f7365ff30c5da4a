"""Benchmark of audit-event appends and chain verification on a SQLite ledger file.

Usage (from the repository root):

    .venv/bin/python benchmarks/bench_audit.py [--events 100000] [--batch-size 1000]

Two fresh ledgers are written in a temporary folder with the settings the plugin uses
(WAL journal, ``synchronous=FULL``, ``BEGIN IMMEDIATE`` per transaction):

- "append, 1 event per transaction" commits every event on its own, as the services do
  for one sign-off, waiver or gate decision: this is the realistic figure, bound by
  the disk flush of each commit;
- "append, N events per transaction" shows the cost of sealing and inserting alone.

Each ledger is then read back: "read" decodes every event in batches without hashing,
"verify" walks and re-hashes the whole chain. The table gives wall time and events per
second for each step, and the size of the ledger file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python-lib"))

from model_governance.ledger import Ledger  # noqa: E402 - needs the path set above

T0 = datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
ROLES = ("review_board", "data_steward", "security_lead", "ml_engineer")
POLICY_HASH = "9f" * 32


def _event(i: int) -> dict[str, object]:
    """Keyword arguments of one sign-off event, shaped as the services write it."""
    return {
        "actor": f"reviewer{i % 17}",
        "action": "signoff.recorded",
        "entity": ("qualification", f"Q-{i // 4 + 1:06d}"),
        "payload": {
            "role": ROLES[i % 4],
            "decision": "approve",
            "comment": "Reviewed the model card, checks and evidence; approved.",
            "by_rule": False,
            "model_id": f"model-{i % 50}",
            "version": f"v{i // 200 + 1}",
            "policy_hash": POLICY_HASH,
        },
        "at": T0 + timedelta(seconds=i),
    }


def append_events(ledger: Ledger, count: int, batch_size: int) -> float:
    """Append ``count`` events, ``batch_size`` per transaction; return seconds taken."""
    start = time.perf_counter()
    for first in range(0, count, batch_size):
        with ledger.transaction() as tx:
            for i in range(first, min(first + batch_size, count)):
                tx.append_event(**_event(i))  # type: ignore[arg-type]
    return time.perf_counter() - start


def read_events(ledger: Ledger) -> tuple[int, float]:
    """Decode every event without hashing; return the count and the seconds taken."""
    start = time.perf_counter()
    count = sum(1 for _ in ledger.iter_events())
    return count, time.perf_counter() - start


def verify_events(ledger: Ledger) -> tuple[int, float]:
    """Verify the whole chain; return the events checked and the seconds taken."""
    start = time.perf_counter()
    result = ledger.verify()
    elapsed = time.perf_counter() - start
    if not result.is_intact:
        raise SystemExit(f"chain broken at {result.first_bad_seq}: {result.reason}")
    return result.events_checked, elapsed


def run(count: int, batch_size: int, folder: Path) -> list[tuple[str, int, float, str]]:
    """Every step on two fresh ledgers; rows of (step, events, seconds, file size)."""
    rows = []
    for label, size in (("1 event", 1), (f"{batch_size} events", batch_size)):
        path = folder / f"ledger-{size}.db"
        ledger = Ledger.open(f"sqlite:///{path}")
        seconds = append_events(ledger, count, size)
        rows.append((f"append, {label} per transaction", count, seconds, ""))
        read, seconds = read_events(ledger)
        rows.append((f"read ({label} ledger)", read, seconds, ""))
        checked, seconds = verify_events(ledger)
        ledger.engine.dispose()  # closing the last connection checkpoints the WAL
        megabytes = f"{path.stat().st_size / 1e6:.1f} MB"
        rows.append((f"verify ({label} ledger)", checked, seconds, megabytes))
    return rows


def print_table(rows: list[tuple[str, int, float, str]]) -> None:
    """A plain-text table: step, events, seconds, events per second, file size."""
    header = f"{'step':<40} {'events':>9} {'seconds':>9} {'events/s':>10} {'file':>9}"
    print(header)
    print("-" * len(header))
    for step, events, seconds, size in rows:
        rate = events / seconds if seconds > 0 else float("inf")
        print(f"{step:<40} {events:>9,} {seconds:>9.2f} {rate:>10,.0f} {size:>9}")


def main(argv: list[str] | None = None) -> int:
    """Parse options, run the benchmark in a temporary folder and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events per ledger")
    parser.add_argument(
        "--batch-size", type=int, default=1000, help="events per transaction, batched run"
    )
    args = parser.parse_args(argv)
    if args.events < 1 or args.batch_size < 1:
        parser.error("--events and --batch-size must be at least 1")
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as folder:
        print(f"Python {sys.version.split()[0]}, SQLite ledger in a temporary folder")
        print_table(run(args.events, args.batch_size, Path(folder)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
