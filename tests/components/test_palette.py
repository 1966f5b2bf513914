from __future__ import annotations

from components.palette import (
    MODEL_COLOR_ORDER,
    OKABE_ITO,
    VERDICT_COLORS,
    VERDICT_SYMBOLS,
    model_colors,
    verdict_color,
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
    assert all(color in OKABE_ITO.values() for color in colors.values())


def test_first_models_do_not_use_verdict_colours():
    firsts = set(MODEL_COLOR_ORDER[:6])
    assert VERDICT_COLORS["better"] not in firsts and VERDICT_COLORS["worse"] not in firsts


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
