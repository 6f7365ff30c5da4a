"""Hand-drawn SVG charts: escaped labels, no inline style, empty input."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from model_governance.webapp.charts import ReferenceLine, Series, bar_chart, line_chart

DAY0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_line_chart_without_points_is_none() -> None:
    assert line_chart([Series("auc", ())], chart_id="c", title="AUC") is None


def test_line_chart_escapes_names_and_draws_references() -> None:
    points = tuple((DAY0 + timedelta(days=i), 0.9 - 0.01 * i) for i in range(5))

    svg = line_chart(
        [Series("<script>x()</script>", points)],
        chart_id="auc",
        title='AUC "trend"',
        references=[ReferenceLine("alert 0.88", 0.88, "alert")],
    )

    assert svg is not None
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert svg.count('class="ref ref-alert"') == 2  # the line and its legend entry
    assert svg.count("<circle") == 5
    assert " style=" not in svg


def test_line_chart_handles_a_single_point() -> None:
    svg = line_chart([Series("auc", ((DAY0, 0.9),))], chart_id="c", title="AUC")

    assert svg is not None
    assert "nan" not in svg.lower()


def test_bar_chart_marks_groups_below_the_threshold() -> None:
    svg = bar_chart(
        {"gender": {"female": 0.75, "male": 1.0}, "age<b>": {"young": 0.9}},
        chart_id="di",
        title="DI",
        threshold=0.8,
    )

    assert svg is not None
    assert svg.count('class="bar below"') == 1
    assert svg.count('class="bar"') == 2
    assert "age&lt;b&gt;" in svg


def test_bar_chart_without_groups_is_none() -> None:
    assert bar_chart({}, chart_id="di", title="DI", threshold=0.8) is None
