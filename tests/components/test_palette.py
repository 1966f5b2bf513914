from __future__ import annotations

from components.palette import (
    MODEL_COLOR_ORDER,
    OKABE_ITO,
    VERDICT_COLORS,
    VERDICT_GLYPHS,
    VERDICT_SYMBOLS,
    better_worse_scale,
    model_colors,
    verdict_color,
    verdict_glyph,
    verdict_symbol,
)
from evaluation._results import (
    VERDICT_BETTER,
    VERDICT_INSUFFICIENT,
    VERDICT_NONE,
    VERDICT_UNDEFINED,
    VERDICT_WORSE,
)

ALL_VERDICTS = {VERDICT_BETTER, VERDICT_WORSE, VERDICT_NONE, VERDICT_INSUFFICIENT, VERDICT_UNDEFINED}


def test_okabe_ito_values_are_the_published_ones():
    # Okabe & Ito (2008), "Color Universal Design", hex values as published.
    assert {value.upper() for value in OKABE_ITO.values()} == {
        "#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}


def test_model_colors_baseline_first_and_stable():
    colors = model_colors(["base", "ft1", "ft2"])
    assert list(colors) == ["base", "ft1", "ft2"]
    assert colors["base"] == MODEL_COLOR_ORDER[0]
    assert len(set(colors.values())) == 3
    assert model_colors(["base", "ft1", "ft2"]) == colors
    assert model_colors({"base": 1, "ft1": 2}) == {"base": colors["base"], "ft1": colors["ft1"]}


def test_model_colors_repeat_after_palette_and_ignore_duplicates():
    names = [f"m{i}" for i in range(10)]
    colors = model_colors(names)
    assert colors["m8"] == colors["m0"] and colors["m9"] == colors["m1"]
    assert model_colors(["a", "b", "a"]) == model_colors(["a", "b"])
    assert len(set(colors.values())) == 8


def test_no_model_is_ever_drawn_in_a_verdict_colour():
    # Better and worse have one colour each everywhere: a model in green would read as "better".
    colors = {c.upper() for c in model_colors([f"m{i}" for i in range(20)]).values()}
    assert colors.isdisjoint({"#009E73", "#D55E00"})
    assert {c.upper() for c in MODEL_COLOR_ORDER[:6]} == {
        "#0072B2", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"}  # Okabe-Ito without the verdicts'
    assert {c.upper() for c in MODEL_COLOR_ORDER[6:]} == {"#332288", "#882255"}  # Tol's muted indigo and wine


def test_better_worse_scale_runs_from_the_worse_to_the_better_colour():
    scale = better_worse_scale()
    assert [stop for stop, _ in scale] == [0.0, 0.5, 1.0]
    assert scale[0][1].upper() == "#D55E00" and scale[-1][1].upper() == "#009E73"
    assert scale[1][1].upper() == "#F7F7F7"


def test_verdict_glyphs_follow_the_marker_shapes():
    assert set(VERDICT_GLYPHS) == ALL_VERDICTS
    assert (verdict_glyph("better"), verdict_glyph("worse")) == ("\u25b2", "\u25bc")  # ▲ ▼ like the triangles
    assert verdict_glyph("??") == VERDICT_GLYPHS["undefined"]
    assert len(set(VERDICT_GLYPHS.values())) == len(VERDICT_GLYPHS)


def test_verdict_colours_and_symbols():
    assert set(VERDICT_COLORS) == ALL_VERDICTS == set(VERDICT_SYMBOLS)
    assert VERDICT_COLORS["better"].upper() == "#009E73"
    assert VERDICT_COLORS["worse"].upper() == "#D55E00"
    assert VERDICT_SYMBOLS["better"] != VERDICT_SYMBOLS["worse"]
    assert VERDICT_SYMBOLS["insufficient data"].endswith("-open")
    greys = {VERDICT_COLORS[v] for v in (VERDICT_NONE, VERDICT_INSUFFICIENT, VERDICT_UNDEFINED)}
    assert all(c[1:3] == c[3:5] == c[5:7] for c in greys)  # neutral greys


def test_unknown_verdict_is_drawn_as_undefined():
    assert verdict_color("??") == VERDICT_COLORS["undefined"]
    assert verdict_symbol("??") == VERDICT_SYMBOLS["undefined"]
