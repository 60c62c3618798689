"""Pre-flight estimates: tokens, per-request and per-image prices; shrinking a panel to a budget."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orcollective.catalog import ModelInfo
from orcollective.collective.budget import EXPECTED_COMPLETION, fit_budget, panel_estimate
from orcollective.errors import BudgetExceeded


def model(model_id: str, prompt: str, completion: str, image: str = "0") -> ModelInfo:
    return ModelInfo.from_raw(
        {"id": model_id, "pricing": {"prompt": prompt, "completion": completion, "image": image, "request": "0"}}
    )


def test_images_count_in_the_estimate():
    """Each image adds the catalog's per-image price for every model that sees it."""
    vision = model("v/a", "0.000001", "0.000002", image="0.004")
    plain = panel_estimate([vision], 100, "choice", None)
    with_two = panel_estimate([vision], 100, "choice", None, images=2)
    assert with_two - plain == Decimal("0.008")
    assert plain == Decimal("0.000001") * 100 + Decimal("0.000002") * EXPECTED_COMPLETION["choice"]


def test_a_budget_that_covers_tokens_but_not_images_is_refused():
    """max_cost_usd is checked against the estimate with the images' price included."""
    panel = [model("v/a", "0.000001", "0.000001", image="0.01"), model("v/b", "0.000001", "0.000001", image="0.01")]
    assert fit_budget(panel, 100, "choice", None, 0.005, min_models=2).models == panel
    with pytest.raises(BudgetExceeded, match="max_cost_usd"):
        fit_budget(panel, 100, "choice", None, 0.005, min_models=2, images=1)


def test_the_priciest_models_are_dropped_first():
    """Over budget, the most expensive model goes first, and is named as skipped."""
    panel = [model("c/cheap", "0.000001", "0.000001"), model("c/dear", "0.0001", "0.0001"),
             model("c/mid", "0.00001", "0.00001")]  # fmt: skip
    fitted = fit_budget(panel, 100, "choice", None, 0.01, min_models=2)
    assert [m.id for m in fitted.models] == ["c/cheap", "c/mid"] and fitted.skipped == ["c/dear"]
