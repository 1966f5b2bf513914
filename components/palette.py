"""Colour-blind-safe colours (Okabe & Ito 2008) for models and verdicts, plus verdict marker symbols.

Colours mean one thing each: bluish green is "better" and vermillion is "worse" in every chart, table
and card (a verdict, an improvement, a cell that changed for the better); no model is ever drawn in
either. Verdicts never rely on colour alone: each has its own marker symbol (triangle up for "better",
triangle down for "worse") and, in text, its own glyph.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = [
    "MODEL_COLOR_ORDER",
    "NEUTRAL_COLOR",
    "OKABE_ITO",
    "TOO_SMALL_COLOR",
    "VERDICT_COLORS",
    "VERDICT_GLYPHS",
    "VERDICT_ORDER",
    "VERDICT_SYMBOLS",
    "better_worse_scale",
    "model_colors",
    "verdict_color",
    "verdict_glyph",
    "verdict_symbol",
]

OKABE_ITO: Mapping[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
"""The eight colours of the Okabe-Ito palette, distinguishable with every common colour-vision deficiency."""

# Models never take a verdict's colour (bluish green, vermillion), so a model never looks like "better" or
# "worse": the six other Okabe-Ito colours (yellow late, it is faint on white), then indigo and wine from
# Paul Tol's colour-blind-safe "muted" scheme (Tol 2021), dark enough not to pass for blue or vermillion.
MODEL_COLOR_ORDER: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["reddish purple"],
    OKABE_ITO["sky blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
    "#332288",
    "#882255",
)

VERDICT_ORDER: tuple[str, ...] = ("worse", "better", "no significant difference", "insufficient data", "undefined")
"""The five verdicts, in the order legends list them."""

VERDICT_COLORS: Mapping[str, str] = {
    "better": OKABE_ITO["bluish green"],
    "worse": OKABE_ITO["vermillion"],
    "no significant difference": "#6E6E6E",
    "insufficient data": "#BDBDBD",
    "undefined": "#8C8C8C",
}
"""Verdict -> colour: bluish green for better, vermillion for worse, greys for the rest."""

NEUTRAL_COLOR = "#F7F7F7"
"""The middle of a better-to-worse scale: no change."""

VERDICT_SYMBOLS: Mapping[str, str] = {
    "better": "triangle-up",
    "worse": "triangle-down",
    "no significant difference": "circle",
    "insufficient data": "circle-open",
    "undefined": "x-thin-open",
}
"""Verdict -> Plotly marker symbol, so better and worse differ in shape as well as colour."""

VERDICT_GLYPHS: Mapping[str, str] = {
    "better": "\u25b2",  # ▲ as the triangle-up marker
    "worse": "\u25bc",  # ▼
    "no significant difference": "\u25cf",  # ●
    "insufficient data": "\u25cb",  # ○
    "undefined": "\u00d7",  # ×
}
"""Verdict -> a text glyph shaped like its marker symbol, for tables and cards."""

TOO_SMALL_COLOR = VERDICT_COLORS["insufficient data"]
"""Colour of slices too small to test (drawn hollow)."""


def model_colors(names: Iterable[str]) -> dict[str, str]:
    """A colour for each model, in the order given (pass the baseline first).

    The same list of names always gets the same colours; beyond eight models the palette repeats.

    Parameters
    ----------
    names:
        Model names, baseline first (``report.models`` is already in that order). Duplicates keep
        their first colour.

    Returns
    -------
    dict
        Model name -> hex colour.

    Examples
    --------
    >>> model_colors(["base", "finetuned"])
    {'base': '#0072B2', 'finetuned': '#E69F00'}
    """
    colors: dict[str, str] = {}
    for name in names:
        if name not in colors:
            colors[name] = MODEL_COLOR_ORDER[len(colors) % len(MODEL_COLOR_ORDER)]
    return colors


def verdict_color(verdict: str) -> str:
    """The colour of a verdict; unknown verdicts are drawn like ``"undefined"``.

    Examples
    --------
    >>> verdict_color("worse")
    '#D55E00'
    """
    return VERDICT_COLORS.get(verdict, VERDICT_COLORS["undefined"])


def verdict_glyph(verdict: str) -> str:
    """The text glyph of a verdict (its marker's shape); unknown verdicts get ``"undefined"``'s.

    Examples
    --------
    >>> verdict_glyph("worse")
    '▼'
    """
    return VERDICT_GLYPHS.get(verdict, VERDICT_GLYPHS["undefined"])


def better_worse_scale() -> list[list[float | str]]:
    """A Plotly colour scale from "worse" (vermillion, at 0) through no change (white) to "better" (bluish green, at 1).

    For figures whose colour means "better or worse for the candidate" (centre it at zero).

    Examples
    --------
    >>> better_worse_scale()[0], better_worse_scale()[-1]
    ([0.0, '#D55E00'], [1.0, '#009E73'])
    """
    return [[0.0, VERDICT_COLORS["worse"]], [0.5, NEUTRAL_COLOR], [1.0, VERDICT_COLORS["better"]]]


def verdict_symbol(verdict: str) -> str:
    """The marker symbol of a verdict; unknown verdicts are drawn like ``"undefined"``.

    Examples
    --------
    >>> verdict_symbol("better")
    'triangle-up'
    """
    return VERDICT_SYMBOLS.get(verdict, VERDICT_SYMBOLS["undefined"])
