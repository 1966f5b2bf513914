"""The one place verdicts are decided: a family's p-values adjusted as statsmodels does, each verdict by direction."""

from __future__ import annotations

import json

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from evaluation import Difference, Settings
from evaluation._inference import decide
from evaluation._results import Verdict


def difference(value: float, p: float) -> Difference:
    return Difference(value, value - 0.1, value + 0.1, p, p, "paired t", Verdict.UNDEFINED, "t interval", 0.5, 0.5 + value)


@pytest.mark.parametrize("correction", ["holm", "fdr_bh", "bonferroni"])
def test_a_family_is_adjusted_as_statsmodels_and_judged_by_direction(correction: str) -> None:
    family = [difference(0.05, 0.001), difference(-0.04, 0.01), difference(0.01, 0.04), difference(0.0, 1.0)]
    decided = decide(family, Settings(correction=correction), higher_is_better=[True, True, False, True])
    expected = multipletests([d.p_value for d in family], method=correction)[1]
    assert [d.p_value_adjusted for d in decided] == pytest.approx(expected.tolist(), rel=1e-12)
    significant = expected < 0.05
    wanted = [Verdict.BETTER if significant[0] else Verdict.NONE, Verdict.WORSE if significant[1] else Verdict.NONE,
              Verdict.WORSE if significant[2] else Verdict.NONE, Verdict.NONE]
    assert [d.verdict for d in decided] == wanted


def test_undefined_p_values_stay_out_of_the_family_and_verdicts_serialise_as_text() -> None:
    decided = decide([difference(0.1, float("nan")), difference(0.1, 0.02), difference(0.1, 0.03)], Settings(),
                     higher_is_better=True)
    assert np.isnan(decided[0].p_value_adjusted) and decided[0].verdict == "undefined"
    assert [d.p_value_adjusted for d in decided[1:]] == pytest.approx(multipletests([0.02, 0.03], method="holm")[1])
    assert json.dumps([d.verdict for d in decided]) == '["undefined", "better", "better"]'
