"""Assertions every figure must pass: title, axis titles, template, JSON-serialisable."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio


def assert_well_formed(fig: go.Figure) -> None:
    """A title, the plotly_white template, and a figure that serialises to strict JSON."""
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text, "figure has no title"
    assert fig.layout.template.to_plotly_json() == pio.templates["plotly_white"].to_plotly_json()
    json.loads(fig.to_json())  # NaN must not break serialisation


def assert_axis_titles(fig: go.Figure) -> None:
    """Every axis that carries data has a title (shared x axes: at least the bottom one)."""
    layout = fig.layout.to_plotly_json()
    axes = [key for key in layout if key.startswith(("xaxis", "yaxis"))]
    assert axes, "no axes"
    y_axes = [key for key in axes if key.startswith("yaxis")]
    x_axes = [key for key in axes if key.startswith("xaxis")]
    assert all(layout[key].get("title", {}).get("text") for key in y_axes), y_axes
    assert any(layout[key].get("title", {}).get("text") for key in x_axes), x_axes


def assert_message(fig: go.Figure, *words: str) -> None:
    """A figure that explains, with an annotation, why it has nothing to draw."""
    assert_well_formed(fig)
    assert len(fig.data) == 0
    text = " ".join(annotation.text for annotation in fig.layout.annotations)
    for word in words:
        assert word.lower() in text.lower(), (word, text)


def assert_same(actual: object, expected: Sequence[float]) -> None:
    """Float arrays equal, NaN equal to NaN."""
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=0, atol=1e-12)


def plus_minus(values: Sequence[float], lows: Sequence[float], highs: Sequence[float]) -> tuple[list, list]:
    """Expected error-bar lengths, computed independently of the code under test."""
    plus = [h - v if not (math.isnan(h) or math.isnan(v)) else math.nan for v, h in zip(values, highs, strict=True)]
    minus = [v - lo if not (math.isnan(lo) or math.isnan(v)) else math.nan for v, lo in zip(values, lows, strict=True)]
    return [max(p, 0.0) if not math.isnan(p) else p for p in plus], [max(m, 0.0) if not math.isnan(m) else m
                                                                      for m in minus]


def zero_lines(fig: go.Figure) -> list:
    """Vertical shapes at x = 0."""
    return [shape for shape in fig.layout.shapes if shape.x0 == 0 and shape.x1 == 0 and shape.type == "line"]
