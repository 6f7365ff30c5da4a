"""Charts for the model documents, as self-contained SVG text.

Figures are drawn with matplotlib's object API (no pyplot: no GUI backend, no global
figure registry) and saved as SVG with text kept as ``<text>`` elements, no date or
creator metadata and a fixed hash salt per chart, so the same numbers always give the
same bytes and a document's hash is reproducible. Element ids are prefixed with the
chart's name so that several charts can sit inline in one HTML page without clashing.
matplotlib escapes every label it writes, so names taken from the evidence cannot
inject markup. An empty input gives a short "no data" SVG instead of an empty chart.
"""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from html import escape
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from model_governance.core.errors import ValidationError

__all__ = [
    "disparate_impact_svg",
    "drift_svg",
    "no_data_svg",
    "roc_curve_svg",
    "score_distribution_svg",
]

_LINE = "#1f5f99"
_SECOND = "#c8702a"
_BELOW = "#b3261e"
_THRESHOLD = "#b3261e"
_GUIDE = "#9aa0a6"
_STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
}
_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
_TAG = re.compile(r"<[^<>]+>")
_ID_REFERENCES = re.compile(r'(\sid="|href="#|url\(#)')

# rc_context changes process-wide settings, so concurrent renders take turns.
_LOCK = threading.Lock()


def roc_curve_svg(fpr: Sequence[float], tpr: Sequence[float], auc: float | None = None) -> str:
    """ROC curve from its points, with the chance diagonal and the AUC in the title.

    Args:
        fpr: False-positive rate of each point, in [0, 1].
        tpr: True-positive rate of each point, same length as ``fpr``.
        auc: The AUC to show in the title, if known.

    Returns:
        SVG text; a "no data" SVG when there are no points.

    Raises:
        ValidationError: the two rates differ in length or hold a non-finite value.
    """
    x = _finite("fpr", fpr)
    y = _finite("tpr", tpr)
    if len(x) != len(y):
        raise ValidationError(
            f"roc: fpr has {len(x)} points but tpr has {len(y)}; pass both rates of one curve."
        )
    if not x:
        return no_data_svg("ROC curve", "No ROC curve points were given.")
    title = "ROC curve" if auc is None else f"ROC curve (AUC {auc:.3f})"
    with _figure(4.2, 3.6, "roc") as (fig, ax):
        ax.plot([0, 1], [0, 1], linestyle="--", color=_GUIDE, linewidth=0.8, label="chance")
        ax.plot(x, y, color=_LINE, linewidth=1.6, label="model")
        ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="False-positive rate", title=title)
        ax.set_ylabel("True-positive rate")
        ax.legend(loc="lower right", frameon=False)
        return _to_svg(fig, "roc", title)


def score_distribution_svg(
    scores_pos: Sequence[float], scores_neg: Sequence[float], *, bins: int = 30
) -> str:
    """Histograms of the scores of positive and negative rows on common bins.

    Args:
        scores_pos: Scores of the rows whose label is the positive class.
        scores_neg: Scores of the other rows.
        bins: Number of equal-width bins over the range of all scores.

    Returns:
        SVG text; a "no data" SVG when both classes are empty.

    Raises:
        ValidationError: a score is not finite, or ``bins`` is below 1.
    """
    pos = _finite("scores_pos", scores_pos)
    neg = _finite("scores_neg", scores_neg)
    if bins < 1:
        raise ValidationError(f"bins: expected a whole number >= 1, got {bins}.")
    if not pos and not neg:
        return no_data_svg("Score distribution", "No scores were given.")
    low, high = min(pos + neg), max(pos + neg)
    edges = [low + (high - low) * i / bins for i in range(bins + 1)] if high > low else bins
    with _figure(4.2, 3.0, "scores") as (fig, ax):
        for values, colour, name in ((neg, _SECOND, "negative"), (pos, _LINE, "positive")):
            if values:
                label = f"{name} ({len(values)})"
                ax.hist(values, edges, density=True, histtype="step", color=colour, label=label)
        ax.set(xlabel="Score", ylabel="Density", title="Score distribution by class")
        ax.legend(frameon=False)
        return _to_svg(fig, "scores", "Score distribution by class")


def disparate_impact_svg(ratios: Mapping[str, Mapping[str, float]], *, threshold: float) -> str:
    """Disparate impact per attribute and group, one bar each, and the threshold.

    Args:
        ratios: Attribute -> group -> the group's favourable-outcome rate divided by
            the best group's rate. Groups without a defined ratio are left out.
        threshold: The policy's minimum ratio (the four-fifths rule: 0.8); bars below
            it are drawn in red.

    Returns:
        SVG text; a "no data" SVG when no ratio is given.

    Raises:
        ValidationError: a ratio is not finite.
    """
    bars = [
        (f"{attribute}: {group}", value)
        for attribute, groups in ratios.items()
        for group, value in groups.items()
    ]
    values = _finite("disparate impact", [v for _, v in bars])
    if not bars:
        return no_data_svg("Disparate impact", "No disparate impact could be computed.")
    labels = [label for label, _ in bars]
    return _threshold_bars(
        "disparate_impact",
        labels,
        values,
        threshold=threshold,
        is_bad=lambda v: v < threshold,
        title="Disparate impact by group",
        xlabel="Favourable-outcome rate / best group's rate",
    )


def drift_svg(
    statistics: Mapping[str, float], *, threshold: float, label: str = "KS statistic D"
) -> str:
    """Drift statistic of each feature, one bar each, with the policy's threshold.

    Args:
        statistics: Feature -> drift statistic (for example the KS statistic D).
        threshold: The policy's drift limit; bars above it are drawn in red.
        label: Name of the statistic, for the axis.

    Returns:
        SVG text; a "no data" SVG when no feature is given.

    Raises:
        ValidationError: a statistic is not finite.
    """
    values = _finite("drift", list(statistics.values()))
    if not values:
        return no_data_svg("Drift", "No drift statistics were given.")
    return _threshold_bars(
        "drift",
        list(statistics),
        values,
        threshold=threshold,
        is_bad=lambda v: v > threshold,
        title="Drift by feature",
        xlabel=label,
    )


def no_data_svg(title: str, message: str) -> str:
    """A small SVG that says there is nothing to draw."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="360" height="48" '
        f'viewBox="0 0 360 48" role="img"><title>{escape(title)}</title>'
        '<rect x="0.5" y="0.5" width="359" height="47" fill="#fafafa" stroke="#d0d4d9"/>'
        '<text x="180" y="29" text-anchor="middle" font-family="sans-serif" '
        f'font-size="13" fill="#5f6368">{escape(message)}</text></svg>'
    )


def _threshold_bars(  # noqa: PLR0913 - each argument shapes the one chart
    name: str,
    labels: list[str],
    values: list[float],
    *,
    threshold: float,
    is_bad: Callable[[float], bool],
    title: str,
    xlabel: str,
) -> str:
    colours = [_BELOW if is_bad(v) else _LINE for v in values]
    positions = list(range(len(values)))
    with _figure(5.6, 1.2 + 0.28 * len(values), name) as (fig, ax):
        ax.barh(positions, values, color=colours, height=0.6)
        ax.axvline(threshold, color=_THRESHOLD, linestyle="--", linewidth=1.0)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, max(1.0, threshold, *values) * 1.05)
        ax.set(xlabel=xlabel, title=f"{title} (dashed line: threshold {threshold:.2f})")
        return _to_svg(fig, name, title)


@contextmanager
def _figure(width: float, height: float, name: str) -> Iterator[tuple[Figure, Axes]]:
    """A fresh figure and axes under the house style, holding the render lock."""
    style = {**_STYLE, "svg.hashsalt": f"model-governance-{name}"}
    with _LOCK, matplotlib.rc_context(style):
        fig = Figure(figsize=(width, height), layout="constrained")
        yield fig, fig.add_subplot()


def _to_svg(fig: Figure, name: str, title: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata=_NO_METADATA)
    text = buffer.getvalue()
    # The XML prolog and DOCTYPE (which names an external DTD) do not belong inline.
    text = text[text.index("<svg") :].strip()
    text = _TAG.sub(lambda tag: _ID_REFERENCES.sub(rf"\g<1>{name}-", tag.group(0)), text)
    opening = text.index(">") + 1
    return f"{text[:opening]}\n <title>{escape(title)}</title>{text[opening:]}"


def _finite(field: str, values: Sequence[float]) -> list[float]:
    out = [float(v) for v in values]
    bad = next((v for v in out if not math.isfinite(v)), None)
    if bad is not None:
        raise ValidationError(f"{field}: {bad} is not a finite number; chart only finite values.")
    return out
