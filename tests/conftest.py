"""Shared test set-up: headless matplotlib, hypothesis profiles."""
import os

import matplotlib
from hypothesis import settings

matplotlib.use("Agg")

settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
