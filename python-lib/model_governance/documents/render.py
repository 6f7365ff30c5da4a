"""Render the model card, experiment summary and review-board packet as HTML and JSON.

Each document exists twice with the same facts: canonical JSON (sorted keys, no
spaces), and a self-contained HTML page (inline CSS, charts as inline SVG, no scripts,
fonts or remote resources) that declares a content-security policy forbidding
everything else. Both are deterministic: the same inputs give the same bytes, so the
content hash stored in the ledger can be reproduced by an auditor.

Every text taken from the evidence or the ledger (names, comments, reasons) goes
through Jinja's autoescaping; only the SVG charts, which matplotlib escapes itself, are
inserted as markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from model_governance.core.evidence import Evidence
from model_governance.core.hashing import canonical_json, sha256_hex
from model_governance.core.metrics.ranking import RocCurve
from model_governance.core.policy import Policy
from model_governance.core.workflow import GateDecision, Qualification, gate_decision
from model_governance.documents import plots
from model_governance.documents.facts import (
    experiment_summary_facts,
    model_card_facts,
    review_packet_facts,
)

__all__ = [
    "DOCUMENT_KINDS",
    "DocumentKind",
    "RenderedDocument",
    "format_moment",
    "format_value",
    "render_documents",
]

DocumentKind = Literal["model_card", "experiment_summary", "review_packet"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("model_card", "experiment_summary", "review_packet")
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
_MEDIA_TYPES = {"html": "text/html", "json": "application/json"}
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class RenderedDocument:
    """One rendered document and the SHA-256 of its UTF-8 content."""

    kind: DocumentKind
    media_type: str
    filename: str
    content: str = field(repr=False)
    content_hash: str


def render_documents(  # noqa: PLR0913 - the optional inputs are keyword-only
    evidence: Evidence,
    qualification: Qualification,
    policy: Policy,
    *,
    decision: GateDecision | None = None,
    roc: RocCurve | None = None,
    drift: Mapping[str, float] | None = None,
    generated_at: datetime | None = None,
) -> tuple[RenderedDocument, ...]:
    """The three documents of a qualification, each as HTML then JSON.

    Args:
        evidence: The evidence of the qualification's model version.
        qualification: The qualification, with its checks, sign-offs and waivers.
        policy: The policy in force.
        decision: The gate decision to report; computed from the other inputs when
            absent.
        roc: ROC curve points of the test set, drawn on the model card when given.
        drift: Feature -> KS statistic D against the reference, shown when given.
        generated_at: When the documents were produced; left out when absent.

    Returns:
        Six documents: model card, experiment summary and review packet, each as
        ``text/html`` then ``application/json``.

    Raises:
        ValidationError: the evidence belongs to another version than the
            qualification, or a curve or drift value is malformed.
    """
    if decision is None:
        decision = gate_decision(qualification, policy, evidence.fingerprint)
    facts = {
        "model_card": model_card_facts(
            evidence, qualification, policy, roc=roc, drift=drift, generated_at=generated_at
        ),
        "experiment_summary": experiment_summary_facts(
            evidence, qualification, policy, generated_at=generated_at
        ),
        "review_packet": review_packet_facts(
            evidence, qualification, policy, decision, generated_at=generated_at
        ),
    }
    documents = []
    for kind in DOCUMENT_KINDS:
        documents.append(_document(kind, "html", _html(kind, facts[kind]), evidence))
        documents.append(_document(kind, "json", canonical_json(facts[kind]), evidence))
    return tuple(documents)


def format_value(value: Any) -> str:
    """Short text for a measured value or threshold.

    Rates and ratios get 3 decimals; whole numbers above 1 (row counts stored as
    floats) get none.

    >>> format_value({"gender": 0.8125, "age_band": 1.0, "rows": 1250.0})
    'gender: 0.812; age_band: 1.000; rows: 1250'
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() and abs(value) > 1 else f"{value:.3f}"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {format_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value) or "none"
    return str(value)


def format_moment(iso: str) -> str:
    """A stored UTC ISO 8601 timestamp as reviewers read it, to the second.

    >>> format_moment("2024-03-01T09:00:00.250000+00:00")
    '2024-03-01 09:00:00 UTC'
    """
    return datetime.fromisoformat(iso).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _document(
    kind: DocumentKind, extension: str, content: str, evidence: Evidence
) -> RenderedDocument:
    stem = _UNSAFE_FILENAME.sub("_", f"{kind}-{evidence.model_id}-{evidence.version}")
    return RenderedDocument(
        kind=kind,
        media_type=_MEDIA_TYPES[extension],
        filename=f"{stem}.{extension}",
        content=content,
        content_hash=sha256_hex(content),
    )


def _html(kind: DocumentKind, facts: Mapping[str, Any]) -> str:
    template = _environment().get_template(f"{kind}.html.j2")
    charts = _charts(facts) if kind == "model_card" else {}
    return template.render(doc=facts, charts=charts)


def _charts(facts: Mapping[str, Any]) -> dict[str, Markup | None]:
    roc, drift, bias = facts["performance"]["roc"], facts["drift"], facts["bias"]
    ratios = {
        a["attribute"]: {
            g["group"]: g["disparate_impact"]
            for g in a["groups"]
            if g["disparate_impact"] is not None
        }
        for a in bias["attributes"]
    }
    charts = {
        "bias": plots.disparate_impact_svg(ratios, threshold=bias["threshold"]),
        "roc": None if roc is None else plots.roc_curve_svg(roc["fpr"], roc["tpr"], roc["auc"]),
        "drift": None if drift is None else _drift_chart(drift),
    }
    # matplotlib escapes every label it writes, so the SVG text is safe as markup.
    return {name: None if svg is None else Markup(svg) for name, svg in charts.items()}  # noqa: S704


def _drift_chart(drift: Mapping[str, Any]) -> str:
    statistics = {f["feature"]: f["ks_statistic"] for f in drift["features"]}
    return plots.drift_svg(statistics, threshold=drift["threshold"])


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["value"] = format_value
    env.filters["moment"] = format_moment
    return env
