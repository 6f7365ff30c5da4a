"""Recipe: Evaluate production model (AUC, drift, disparate impact of one window)."""

from __future__ import annotations

import logging

from model_governance.dss.evaluation_recipe import run_evaluation_recipe

logging.basicConfig(level=logging.INFO, format="[model-governance] %(levelname)s %(message)s")
run_evaluation_recipe()
