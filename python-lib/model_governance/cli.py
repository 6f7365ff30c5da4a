"""``model-governance``: the local command line over the same core the DSS plugin uses.

Exit codes: 0 done (gate open, chain intact); 1 blocked or refused (gate closed,
chain broken, a sign-off the rules forbid); 2 invalid input (usage, malformed file,
unknown id, duplicate); 3 the ledger failed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from model_governance import __version__
from model_governance.core import workflow as wf
from model_governance.core.errors import (
    AuthorizationError,
    ConflictError,
    GateClosedError,
    GovernanceError,
    InvalidTransitionError,
    LedgerError,
    NotFoundError,
    ValidationError,
)
from model_governance.core.evidence import parse_evidence
from model_governance.core.hashing import sha256_hex
from model_governance.core.metrics import roc_curve_points
from model_governance.core.policy import Policy, parse_policy, policy_to_dict
from model_governance.evaluation import (
    DriftStream,
    ScoredColumns,
    ScoredStream,
    drift_exact,
    evaluate_frames,
    summarise_reference,
)
from model_governance.local import LocalHome, current_user, read_json
from model_governance.report import (
    audit_export_lines,
    describe_drift,
    describe_evaluation,
    describe_gate,
    describe_qualification,
    describe_verification,
    qualification_to_dict,
)
from model_governance.services import GovernanceService
from model_governance.tabular import iter_table, read_table, table_columns, table_rows

EXIT_OK, EXIT_BLOCKED, EXIT_INVALID, EXIT_LEDGER = 0, 1, 2, 3

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; never shows a traceback for a governance error."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.handler(args))
    except GovernanceError as exc:
        print(f"model-governance: {exc}", file=sys.stderr)
        return _exit_code(exc)


def _exit_code(exc: GovernanceError) -> int:
    if isinstance(exc, (ValidationError, NotFoundError, ConflictError)):
        return EXIT_INVALID
    if isinstance(exc, (AuthorizationError, InvalidTransitionError, GateClosedError)):
        return EXIT_BLOCKED
    if isinstance(exc, LedgerError):
        return EXIT_LEDGER
    return EXIT_BLOCKED


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    common = _common_options(argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="model-governance",
        parents=[_common_options(None)],
        description="Enforced model governance: register, submit, sign off, gate, audit.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in _COMMANDS:
        register(sub, common)
    return parser


def _common_options(default: Any) -> argparse.ArgumentParser:
    # Sub-commands repeat the global options with SUPPRESS, so that a value given before
    # the sub-command is not reset by the sub-parser's default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--home",
        default=default,
        help="governance home (default: $MODEL_GOVERNANCE_HOME, else ./.model-governance)",
    )
    flag_default = default if default is not None else False
    common.add_argument(
        "--json", action="store_true", default=flag_default, help="machine-readable output"
    )
    common.add_argument(
        "--verbose", action="store_true", default=flag_default, help="debug logging on stderr"
    )
    return common


def _add(sub: Any, common: argparse.ArgumentParser, name: str, handler: Handler, text: str) -> Any:
    cmd = sub.add_parser(name, parents=[common], help=text, description=text)
    cmd.set_defaults(handler=handler)
    return cmd


def _actor_option(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--as", dest="actor", help="acting user (default $MODEL_GOVERNANCE_USER or the OS user)"
    )


# init, policy, users


def _cmd_init(args: argparse.Namespace) -> int:
    home = LocalHome.resolve(args.home)
    policy = parse_policy(read_json(Path(args.policy), "policy")) if args.policy else None
    home.initialise(policy=policy, overwrite=args.force)
    _emit(
        args,
        {
            "home": str(home.root),
            "ledger": str(home.ledger_path),
            "policy": str(home.policy_path),
            "users": str(home.users_path),
        },
        f"Governance home ready at {home.root}\n  ledger  {home.ledger_path}\n"
        f"  policy  {home.policy_path}\n  users   {home.users_path}",
    )
    return EXIT_OK


def _reg_init(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(sub, common, "init", _cmd_init, "create the ledger, policy and user list")
    cmd.add_argument("--policy", help="start from this policy file instead of the defaults")
    cmd.add_argument("--force", action="store_true", help="overwrite policy and users files")


def _cmd_policy(args: argparse.Namespace) -> int:
    if args.action == "validate":
        if not args.file:
            raise ValidationError("policy validate: name the policy file to check (FILE).")
        policy = parse_policy(read_json(Path(args.file), "policy"))
        _emit(
            args,
            {"valid": True, "version": policy.version, "hash": policy.content_hash},
            f"{args.file}: valid policy version {policy.version} "
            f"(hash {policy.content_hash[:12]}…)",
        )
        return EXIT_OK
    policy = LocalHome.resolve(args.home).load_policy()
    data = {**policy_to_dict(policy), "content_hash": policy.content_hash}
    _emit(args, data, json.dumps(data, indent=2, sort_keys=True))
    return EXIT_OK


def _reg_policy(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(sub, common, "policy", _cmd_policy, "show the policy in force or validate a file")
    cmd.add_argument("action", choices=("show", "validate"))
    cmd.add_argument("file", nargs="?", help="policy file to validate")


def _cmd_users(args: argparse.Namespace) -> int:
    home = LocalHome.resolve(args.home)
    home.require()
    if args.action == "add":
        if not args.name or not args.role:
            raise ValidationError("users add: give a NAME and at least one --role.")
        home.add_user(args.name, tuple(args.role), home.load_policy())
    if args.action == "passwd":
        if not args.name:
            raise ValidationError("users passwd: give the NAME whose webapp password to set.")
        home.set_password(args.name, _read_password())
        _emit(args, {"user": args.name, "password_set": True}, f"Password set for {args.name}.")
        return EXIT_OK
    users = home.load_users()
    lines = [f"{name}: {', '.join(roles) or '(no role)'}" for name, roles in sorted(users.items())]
    _emit(args, {k: list(v) for k, v in users.items()}, "\n".join(lines) or "no users")
    return EXIT_OK


def _read_password() -> str:
    # Prompted twice on a terminal; otherwise the first line of standard input, so the
    # password never appears on a command line or in the shell history.
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New webapp password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise ValidationError("password: the two entries differ; run the command again.")
    return first


def _reg_users(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(
        sub,
        common,
        "users",
        _cmd_users,
        "list local reviewers, give one a role, or set their webapp password",
    )
    cmd.add_argument("action", choices=("list", "add", "passwd"))
    cmd.add_argument("name", nargs="?")
    cmd.add_argument("--role", action="append", help="sign-off role (repeatable)")


# register, submit, sign, waive, withdraw, revoke


def _service(args: argparse.Namespace) -> tuple[LocalHome, GovernanceService]:
    home = LocalHome.resolve(args.home)
    return home, GovernanceService(home.open_ledger(), home.load_policy())


def _cmd_register(args: argparse.Namespace) -> int:
    evidence = parse_evidence(read_json(Path(args.evidence), "evidence"))
    if args.artifact:
        path = Path(args.artifact)
        if not path.is_file():
            raise NotFoundError(f"--artifact: {path} is not a file; give the model file to hash.")
        evidence = evidence.with_artifact("model", sha256_hex(path.read_bytes()))
    _, service = _service(args)
    record = service.register(evidence, actor=current_user(args.actor))
    _emit(
        args,
        {
            "model_id": evidence.model_id,
            "version": evidence.version,
            "semantic_tag": evidence.semantic_tag,
            "fingerprint": record.fingerprint,
        },
        f"Registered {evidence.model_id} {evidence.version} as {evidence.semantic_tag}\n"
        f"  fingerprint {record.fingerprint}",
    )
    return EXIT_OK


def _reg_register(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(sub, common, "register", _cmd_register, "record a model version and its evidence")
    cmd.add_argument("--evidence", required=True, help="evidence JSON file")
    cmd.add_argument("--artifact", help="model file whose SHA-256 joins the evidence")
    _actor_option(cmd)


def _cmd_submit(args: argparse.Namespace) -> int:
    _, service = _service(args)
    submission = service.submit(args.model_id, args.version, actor=current_user(args.actor))
    q = submission.qualification
    _emit(args, qualification_to_dict(q, service.policy), describe_qualification(q, service.policy))
    return EXIT_OK


def _reg_submit(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(sub, common, "submit", _cmd_submit, "run the checks and open a qualification")
    cmd.add_argument("model_id")
    cmd.add_argument("version")
    _actor_option(cmd)


def _cmd_sign(args: argparse.Namespace) -> int:
    home, service = _service(args)
    principal = home.principal(current_user(args.actor))
    decision = wf.Decision.APPROVE if args.approve else wf.Decision.REJECT
    q = service.sign(args.qualification_id, principal, args.role, decision, comment=args.comment)
    _emit(args, qualification_to_dict(q, service.policy), describe_qualification(q, service.policy))
    return EXIT_OK


def _reg_sign(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(sub, common, "sign", _cmd_sign, "approve or reject a qualification for one role")
    cmd.add_argument("qualification_id")
    _actor_option(cmd)
    cmd.add_argument("--role", required=True)
    choice = cmd.add_mutually_exclusive_group(required=True)
    choice.add_argument("--approve", action="store_true")
    choice.add_argument("--reject", action="store_true")
    cmd.add_argument("--comment", required=True, help="why you approve or reject")


def _cmd_waive(args: argparse.Namespace) -> int:
    home, service = _service(args)
    principal = home.principal(current_user(args.actor))
    q = service.waive(args.qualification_id, principal, args.role, args.check, reason=args.reason)
    _emit(args, qualification_to_dict(q, service.policy), describe_qualification(q, service.policy))
    return EXIT_OK


def _reg_waive(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(sub, common, "waive", _cmd_waive, "waive a failing blocking check, with a reason")
    cmd.add_argument("qualification_id")
    _actor_option(cmd)
    cmd.add_argument("--role", required=True)
    cmd.add_argument("--check", required=True, help="check id, e.g. auc")
    cmd.add_argument("--reason", required=True)


def _cmd_close(args: argparse.Namespace) -> int:
    home, service = _service(args)
    user = current_user(args.actor)
    if args.command == "withdraw":
        q = service.withdraw(args.qualification_id, wf.Principal(user), reason=args.reason)
    else:
        q = service.revoke(args.qualification_id, home.principal(user), reason=args.reason)
    q = service.ledger.get_qualification(q.qualification_id)
    _emit(args, qualification_to_dict(q, service.policy), describe_qualification(q, service.policy))
    return EXIT_OK


def _reg_close(sub: Any, common: argparse.ArgumentParser) -> None:
    for name, text in (
        ("withdraw", "the submitter takes a candidate back"),
        ("revoke", "withdraw an approval; the gate closes"),
    ):
        cmd = _add(sub, common, name, _cmd_close, text)
        cmd.add_argument("qualification_id")
        _actor_option(cmd)
        cmd.add_argument("--reason", required=True)


def _cmd_drill(args: argparse.Namespace) -> int:
    _, service = _service(args)
    drill = service.record_rollback_drill(
        args.model_id,
        args.version,
        actor=current_user(args.actor),
        is_passed=args.passed,
        target=args.target or "",
        note=args.note,
    )
    outcome = "passed" if drill.is_passed else "FAILED"
    target = drill.target_bundle or "first-release undeploy"
    _emit(
        args,
        {"passed": drill.is_passed, "target": drill.target_bundle},
        f"Rollback drill for {args.model_id} {args.version} ({target}) recorded: {outcome}",
    )
    return EXIT_OK


def _reg_drill(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(sub, common, "drill", _cmd_drill, "record the outcome of a rollback drill")
    cmd.add_argument("model_id")
    cmd.add_argument("version")
    _actor_option(cmd)
    outcome = cmd.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--passed", action="store_true")
    outcome.add_argument("--failed", action="store_true")
    cmd.add_argument("--target", help="bundle the drill rolled back to (empty: undeploy)")
    cmd.add_argument("--note", required=True, help="what was rehearsed and how it went")


# status, gate, audit


def _cmd_status(args: argparse.Namespace) -> int:
    _, service = _service(args)
    if args.qualification_id:
        q = service.ledger.get_qualification(args.qualification_id)
        _emit(
            args,
            qualification_to_dict(q, service.policy),
            describe_qualification(q, service.policy),
        )
        return EXIT_OK
    rows = service.ledger.list_qualifications(state=args.state, model_id=args.model)
    lines = [
        f"{r['qualification_id']}  {r['state']:<10} {r['model_id']} {r['version']}  "
        f"submitted by {r['submitter']} {r['created_at'][:19]}"
        for r in rows
    ]
    _emit(args, rows, "\n".join(lines) or "no qualifications")
    return EXIT_OK


def _reg_status(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(sub, common, "status", _cmd_status, "list qualifications or show one")
    cmd.add_argument("qualification_id", nargs="?")
    cmd.add_argument("--state", choices=[s.value for s in wf.QualificationState])
    cmd.add_argument("--model")


def _cmd_gate(args: argparse.Namespace) -> int:
    _, service = _service(args)
    decision = service.gate(args.model_id, args.version, actor=current_user(args.actor))
    _emit(
        args,
        {
            "is_open": decision.is_open,
            "reasons": list(decision.reasons),
            "qualification_id": decision.qualification_id,
        },
        describe_gate(args.model_id, args.version, decision),
    )
    return EXIT_OK if decision.is_open else EXIT_BLOCKED


def _reg_gate(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(
        sub, common, "gate", _cmd_gate, "is the gate open for a version? (exit 0 open, 1 closed)"
    )
    cmd.add_argument("model_id")
    cmd.add_argument("version")
    _actor_option(cmd)


def _cmd_audit(args: argparse.Namespace) -> int:
    _, service = _service(args)
    if args.action == "export":
        out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
        try:
            for line in audit_export_lines(service.ledger):
                out.write(line + "\n")
        finally:
            if out is not sys.stdout:
                out.close()
        return EXIT_OK
    result = service.verify_audit()
    _emit(
        args,
        {
            "is_intact": result.is_intact,
            "events_checked": result.events_checked,
            "first_bad_seq": result.first_bad_seq,
            "reason": result.reason,
        },
        describe_verification(result),
    )
    return EXIT_OK if result.is_intact else EXIT_BLOCKED


def _reg_audit(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(
        sub, common, "audit", _cmd_audit, "verify the audit chain or export it as JSON lines"
    )
    cmd.add_argument("action", choices=("verify", "export"))
    cmd.add_argument("--output", help="export file (default standard output)")


def _cmd_card(args: argparse.Namespace) -> int:
    home, service = _service(args)
    roc = None
    if args.scores:
        scored = read_table(args.scores, columns=[args.label, args.score], option="--scores")
        roc = roc_curve_points(scored[args.label].to_numpy(), scored[args.score].to_numpy())
    documents = service.write_documents(
        args.qualification_id, actor=current_user(args.actor), roc=roc
    )
    folder = Path(args.output) if args.output else home.documents_dir
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for doc in documents:
        path = folder / doc.filename
        # Bytes, not text: no newline translation, so the file hashes to content_hash.
        path.write_bytes(doc.content.encode("utf-8"))
        written.append(
            {
                "kind": doc.kind,
                "media_type": doc.media_type,
                "path": str(path),
                "content_hash": doc.content_hash,
            }
        )
    lines = [f"{w['path']}  sha256 {w['content_hash']}" for w in written]
    _emit(args, written, "\n".join(lines))
    return EXIT_OK


def _reg_card(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(
        sub,
        common,
        "card",
        _cmd_card,
        "write the model card, experiment summary and review packet (HTML and JSON)",
    )
    cmd.add_argument("qualification_id")
    cmd.add_argument("--output", help="folder for the documents (default: <home>/documents)")
    cmd.add_argument("--scores", help="test-set scores (CSV/Parquet) to draw the ROC curve")
    cmd.add_argument("--label", default="label", help="ground-truth column of --scores")
    cmd.add_argument("--score", default="score", help="score column of --scores")
    _actor_option(cmd)


def _cmd_demo(args: argparse.Namespace) -> int:
    from model_governance.demo.run import run_demo  # heavy (scikit-learn): load on demand

    run_demo(Path(args.workdir).resolve())
    return EXIT_OK


def _reg_demo(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(sub, common, "demo", _cmd_demo, "run the gate end to end on synthetic claims")
    cmd.add_argument("--workdir", default="demo-work", help="folder for the demo's files")


def _policy_for(args: argparse.Namespace) -> Policy:
    home = LocalHome.resolve(args.home)
    return home.load_policy() if home.policy_path.exists() else Policy()


def _progress(
    chunks: Iterator[pd.DataFrame], total_rows: int | None, label: str
) -> Iterator[pd.DataFrame]:
    # A bar only on a terminal (disable=None), and on stderr so --json stays clean.
    with tqdm(
        total=total_rows, unit="rows", unit_scale=True, desc=label, disable=None, file=sys.stderr
    ) as bar:
        for chunk in chunks:
            yield chunk
            bar.update(len(chunk))


def _monitored_columns(
    args: argparse.Namespace, available: list[str], skip: tuple[str, ...]
) -> list[str]:
    return list(args.columns) if args.columns else [c for c in available if c not in skip]


def _cmd_drift(args: argparse.Namespace) -> int:
    policy = _policy_for(args)
    ref_cols = table_columns(args.reference, option="--reference")
    columns = _monitored_columns(args, ref_cols, ())
    reference = read_table(args.reference, columns=columns, option="--reference")
    if args.stream:
        stream = DriftStream(summarise_reference(reference, columns=columns), policy)
        chunks = iter_table(args.current, columns=columns, option="--current")
        for chunk in _progress(chunks, table_rows(args.current), "current"):
            stream.update(chunk)
        results = stream.results()
    else:
        current = read_table(args.current, columns=columns, option="--current")
        results = drift_exact(reference, current, policy, columns=columns)
    _emit(args, [r.to_dict() for r in results], describe_drift(results, policy))
    return EXIT_OK


def _reg_drift(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(sub, common, "drift", _cmd_drift, "per-feature drift between two CSV/Parquet files")
    cmd.add_argument("--reference", required=True, help="reference data (e.g. training sample)")
    cmd.add_argument("--current", required=True, help="current data (e.g. a production window)")
    cmd.add_argument("--columns", nargs="+", help="features to compare (default: all)")
    cmd.add_argument(
        "--stream",
        action="store_true",
        help="stream the current file in chunks against a reference summary",
    )


def _cmd_evaluate(args: argparse.Namespace) -> int:
    policy = _policy_for(args)
    scored = ScoredColumns(
        label=args.label,
        score=args.score,
        protected=tuple(args.protected or ()),
        favourable_when_score_below=args.threshold,
    )
    drift = None
    if args.reference:
        skip = (args.label, args.score, *scored.protected)
        columns = _monitored_columns(
            args, table_columns(args.reference, option="--reference"), skip
        )
        reference = read_table(args.reference, columns=columns, option="--reference")
        drift = DriftStream(summarise_reference(reference, columns=columns), policy)
    stream = ScoredStream(scored, policy, drift)
    chunks = iter_table(args.scored, option="--scored")
    result = evaluate_frames(_progress(chunks, table_rows(args.scored), "scored"), stream)
    _emit(args, result.to_dict(), describe_evaluation(result, policy))
    return EXIT_OK


def _reg_evaluate(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(
        sub,
        common,
        "evaluate",
        _cmd_evaluate,
        "AUC, drift and disparate impact of a scored CSV/Parquet file",
    )
    cmd.add_argument("--scored", required=True, help="scored data with ground truth")
    cmd.add_argument("--label", required=True, help="ground-truth column")
    cmd.add_argument(
        "--score", required=True, help="score column (probability of the positive class)"
    )
    cmd.add_argument("--reference", help="reference data for drift (default: no drift)")
    cmd.add_argument("--columns", nargs="+", help="features to monitor for drift (default: all)")
    cmd.add_argument("--protected", nargs="+", help="protected attributes for disparate impact")
    cmd.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="scores below this are the favourable outcome (not flagged)",
    )


def _cmd_serve(args: argparse.Namespace) -> int:
    from model_governance.webapp.local import serve  # Flask loads only when serving

    home = LocalHome.resolve(args.home)
    home.require()

    def ready(url: str) -> None:
        print(f"Review board for {home.root} at {url}  (Ctrl+C stops it)", flush=True)

    serve(home, host=args.host, port=args.port, on_ready=ready)
    return EXIT_OK


def _reg_serve(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(sub, common, "serve", _cmd_serve, "serve the review-board webapp on this home")
    cmd.add_argument("--host", default="127.0.0.1", help="address to listen on")
    cmd.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")


def _cmd_monitor(args: argparse.Namespace) -> int:
    from model_governance import scored_folder  # pandas and the evaluation engine load here

    home = LocalHome.resolve(args.home)
    request = scored_folder.MonitorRequest(
        scored_dir=Path(args.scored_dir),
        model_id=args.model,
        actor=current_user(args.actor),
        version=args.version,
        reference=Path(args.reference) if args.reference else None,
        save_reference=Path(args.save_reference) if args.save_reference else None,
        label=args.label,
        score=args.score,
        threshold=args.threshold,
        service_id=args.service,
        notifications=Path(args.notifications) if args.notifications else None,
    )
    report, status = scored_folder.run_monitor(home, request, environ=os.environ)
    _emit(
        args,
        scored_folder.folder_report_to_dict(report, status),
        scored_folder.describe_folder_report(report, status),
    )
    return EXIT_OK


def _reg_monitor(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = _add(
        sub,
        common,
        "monitor",
        _cmd_monitor,
        "run the monitoring rules over a folder of daily scored files (scored-YYYY-MM-DD.csv)",
    )
    cmd.add_argument("--scored-dir", required=True, help="folder of scored-YYYY-MM-DD files")
    cmd.add_argument("--model", required=True, help="model id")
    cmd.add_argument("--version", help="version that scored the files (default: newest approved)")
    cmd.add_argument(
        "--reference", help="training data (CSV/Parquet) or a stored reference summary (JSON)"
    )
    cmd.add_argument("--save-reference", help="also write the reference summary to this JSON")
    cmd.add_argument("--label", default="label", help="ground-truth column")
    cmd.add_argument("--score", default="score", help="score column")
    cmd.add_argument(
        "--threshold", type=float, default=0.5, help="scores below it are the favourable outcome"
    )
    cmd.add_argument("--service", help="API service name: SLA from queries-YYYY-MM-DD files")
    cmd.add_argument(
        "--notifications",
        help="JSON notification settings (default: MODEL_GOVERNANCE_SLACK_WEBHOOK_URL and "
        "MODEL_GOVERNANCE_PAGERDUTY_ROUTING_KEY)",
    )
    _actor_option(cmd)


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if args.json:
        print(json.dumps(data, indent=2, sort_keys=True, default=str))
    else:
        print(text)


_COMMANDS: tuple[Callable[[Any, argparse.ArgumentParser], None], ...] = (
    _reg_init,
    _reg_policy,
    _reg_users,
    _reg_register,
    _reg_submit,
    _reg_sign,
    _reg_waive,
    _reg_close,
    _reg_drill,
    _reg_status,
    _reg_gate,
    _reg_audit,
    _reg_card,
    _reg_drift,
    _reg_evaluate,
    _reg_monitor,
    _reg_serve,
    _reg_demo,
)


if __name__ == "__main__":
    raise SystemExit(main())
