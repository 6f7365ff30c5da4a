"""Review-board routes: queue, qualification, sign-off, documents, monitoring, login.

Every route but the login page and the static assets identifies the caller first, and
every state-changing request must carry the session's CSRF token
(:mod:`model_governance.webapp.security`).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from model_governance.core import workflow as wf
from model_governance.core.errors import NotFoundError, ValidationError
from model_governance.ledger import queries
from model_governance.report import qualification_to_dict
from model_governance.webapp import monitoring, pages, security
from model_governance.webapp.app import current_board
from model_governance.webapp.identity import AuthenticationError, LocalIdentity

log = logging.getLogger(__name__)

blueprint = Blueprint(
    "review",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)

_PUBLIC_ENDPOINTS = frozenset({"review.static", "review.login", "review.login_submit"})
_MAX_COMMENT = 4000
_MAX_NAME = 200


@blueprint.before_request
def _guard() -> Response | None:
    security.check_csrf()
    if request.endpoint in _PUBLIC_ENDPOINTS:
        return None
    board = current_board()
    try:
        g.principal = board.identity.principal(request, board.policy)
    except AuthenticationError:
        if board.identity.has_login_page and security.wants_html():
            target = request.full_path.rstrip("?")
            return redirect(security.relative_url("review.login", next=target), 303)
        raise
    return None


@blueprint.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "url": security.relative_url,
        "csrf_token": security.csrf_token,
        "principal": g.get("principal"),
        "has_login_page": current_board().identity.has_login_page,
        "role_label": wf.role_label,
        "state_labels": pages.STATE_LABELS,
    }


@blueprint.app_template_filter("moment")
def _moment(value: Any) -> str:
    return pages.moment(value)


@blueprint.app_template_filter("value")
def _value(value: Any) -> str:
    return pages.display_value(value)


# Queue


@blueprint.get("/")
def queue() -> str:
    """Qualifications by state, filtered by project and model, with what each needs."""
    board = current_board()
    project = request.args.get("project", board.default_project or "")
    flt = queries.QueueFilter(
        state=request.args.get("state") or None,
        project_key=project or None,
        model_id=request.args.get("model") or None,
        page=_int_arg("page", 1),
    )
    page = queries.queue_page(board.ledger, flt)
    projects, models = queries.filter_choices(board.ledger)
    return render_template(
        "review/queue.html",
        page=page,
        flt=flt,
        needs=pages.needs_of(page.rows, board.policy),
        projects=projects,
        models=models,
        chain=pages.chain_summary(board.verifier.verify(board.ledger, wait=False)),
    )


# Qualification


@blueprint.get("/qualifications/<qualification_id>")
def qualification(qualification_id: str) -> str:
    """A qualification's checklist, documents, sign-offs, gate and audit trail."""
    board = current_board()
    q = board.ledger.get_qualification(qualification_id)
    record = queries.qualification_record(board.ledger, qualification_id)
    version = board.ledger.get_version(q.model_id, q.version)
    entities = queries.model_entities(board.ledger, q.model_id)
    trail = queries.audit_trail(board.ledger, entities, before=_optional_int_arg("before"))
    return render_template(
        "review/qualification.html",
        q=q,
        record=record,
        evidence=version.evidence,
        facts=pages.evidence_facts(version.evidence),
        decision=wf.gate_decision(q, board.policy, version.fingerprint),
        checks=pages.check_rows(q),
        required_roles=board.policy.required_roles,
        panel=pages.signoff_panel(q, board.policy, g.principal),
        needs=pages.still_needed(q, board.policy),
        documents=pages.document_links(board.ledger, q),
        trail=trail,
        summarise=pages.payload_summary,
        chain=pages.chain_summary(board.verifier.verify(board.ledger, wait=False)),
    )


@blueprint.post("/qualifications/<qualification_id>/signoffs")
def sign(qualification_id: str) -> Response:
    """Record the caller's approval or rejection for one role."""
    role, decision, comment = _signoff_input()
    board = current_board()
    q = board.service.sign(qualification_id, g.principal, role, decision, comment=comment)
    log.info("sign-off recorded on %s for %s", q.qualification_id, role)
    if request.is_json or not security.prefers_html():
        return _qualification_json(q)
    target = security.relative_url("review.qualification", qualification_id=qualification_id)
    return redirect(target, 303)


@blueprint.get("/api/qualifications/<qualification_id>")
def qualification_json(qualification_id: str) -> Response:
    """The qualification, what it still needs and the gate decision, as JSON."""
    return _qualification_json(current_board().ledger.get_qualification(qualification_id))


def _qualification_json(q: wf.Qualification) -> Response:
    board = current_board()
    version = board.ledger.get_version(q.model_id, q.version)
    decision = wf.gate_decision(q, board.policy, version.fingerprint)
    return jsonify(
        {
            "qualification": qualification_to_dict(q, board.policy),
            "gate": {"is_open": decision.is_open, "reasons": list(decision.reasons)},
        }
    )


def _signoff_input() -> tuple[str, wf.Decision, str]:
    data: Any = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(data, dict):
        raise ValidationError("request: expected a JSON object with role, decision and comment.")
    role = _text(data.get("role"), "role", _MAX_NAME)
    choice = _text(data.get("decision"), "decision", _MAX_NAME)
    if choice not in {d.value for d in wf.Decision}:
        raise ValidationError(f"decision: {choice!r} is not a decision; use approve or reject.")
    comment = _text(data.get("comment"), "comment", _MAX_COMMENT)
    return role, wf.Decision(choice), comment


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name}: is empty; fill it in.")
    if len(value) > limit:
        raise ValidationError(
            f"{name}: {len(value)} characters is too long; keep it under {limit}."
        )
    return value


# Documents


@blueprint.get("/qualifications/<qualification_id>/documents/<kind>")
def document(qualification_id: str, kind: str) -> Response:
    """A document of the qualification: as stored in the ledger, or rendered now."""
    if kind not in pages.DOCUMENT_LABELS:
        raise NotFoundError(
            f"document: {kind!r} is not a document kind; use one of "
            f"{', '.join(pages.DOCUMENT_LABELS)}."
        )
    board = current_board()
    q = board.ledger.get_qualification(qualification_id)
    if request.args.get("source", "ledger") == "ledger":
        content = _stored_document(q, kind)
    else:
        content = _current_document(q, kind)
    response = make_response(content)
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = security.DOCUMENT_SECURITY_POLICY
    return response


def _current_document(q: wf.Qualification, kind: str) -> str:
    board = current_board()
    evidence = board.ledger.get_version(q.model_id, q.version).evidence
    rendered = board.documents(evidence, q, board.policy)
    found = (d.content for d in rendered if d.kind == kind and d.media_type == "text/html")
    content = next(found, None)
    if content is None:
        raise NotFoundError(f"document: the renderer produced no {kind} page for {q.label}.")
    return content


def _stored_document(q: wf.Qualification, kind: str) -> str:
    ledger = current_board().ledger
    found = queries.stored_document(ledger, q.model_id, q.version, kind, "text/html")
    if found is None:
        raise NotFoundError(
            f"no {pages.DOCUMENT_LABELS[kind].lower()} is stored for {q.label}; store the "
            f"documents with `model-governance card {q.qualification_id}`, or open the "
            "current rendering."
        )
    return found[1]


# Monitoring


@blueprint.get("/monitoring")
def monitoring_index() -> str:
    """Models with production evaluations or deployments."""
    return render_template(
        "review/monitoring_index.html",
        models=queries.monitored_models(current_board().ledger),
    )


@blueprint.get("/models/<model_id>/monitoring")
def model_monitoring(model_id: str) -> str:
    """AUC trend, drift per feature, disparate impact, flags and deployment history."""
    board = current_board()
    model = queries.model_summary(board.ledger, model_id)
    if model is None:
        raise NotFoundError(
            f"model {model_id} is not registered in the ledger; open a model from the "
            "monitoring list."
        )
    points = queries.evaluation_series(board.ledger, model_id)
    history = queries.deployment_history(board.ledger, model_id)
    baseline = pages.baseline_for(board.ledger, model_id)
    latest = points[-1] if points else None
    return render_template(
        "review/monitoring.html",
        model=model,
        latest=latest,
        baseline=baseline,
        recorded_flags=queries.open_flags(board.ledger, model_id),
        flags=monitoring.open_flags(latest, baseline, board.policy),
        auc_chart=monitoring.auc_chart(points, baseline, board.policy),
        drift_chart=monitoring.drift_chart(points, board.policy),
        di_chart=monitoring.disparate_impact_chart(latest, board.policy),
        history=history,
        evaluation_count=len(points),
    )


# Local login


@blueprint.get("/login")
def login() -> str:
    """The login screen (local mode only)."""
    _local_identity()
    return render_template("review/login.html", message=None, next=_next_target())


@blueprint.post("/login")
def login_submit() -> Response | tuple[str, int]:
    """Check the name and password and open a session."""
    identity = _local_identity()
    user = request.form.get("username", "")[:_MAX_NAME]
    password = request.form.get("password", "")[:_MAX_COMMENT]
    try:
        identity.log_in(user, password)
    except AuthenticationError as exc:
        return render_template("review/login.html", message=str(exc), next=_next_target()), 401
    return redirect(security.relative_to_current(_next_target()), 303)


@blueprint.post("/logout")
def logout() -> Response:
    """End the session and go back to the login screen (local mode only)."""
    _local_identity().log_out()
    return redirect(security.relative_url("review.login"), 303)


def _local_identity() -> LocalIdentity:
    identity = current_board().identity
    if not isinstance(identity, LocalIdentity):
        # Inside DSS, DSS owns the login; there is no page to show.
        raise NotFound()
    return identity


def _next_target() -> str:
    target = request.values.get("next", "/")
    return target if security.is_local_path(target) else "/"


def _int_arg(name: str, default: int) -> int:
    value = _optional_int_arg(name)
    return default if value is None else value


def _optional_int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ValidationError(f"{name}: {raw!r} is not a whole number; use one.") from exc
