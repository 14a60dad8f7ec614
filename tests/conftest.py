"""Shared fixtures: seeded random generators (the seed can be changed from the shell)."""

import os

import numpy as np
import pytest

# SPARSEOPT_TESTS_SEED=any|<int>: "any" draws a seed per run (printed in the header).
_SEED_ENV = os.environ.get("SPARSEOPT_TESTS_SEED", "42")
if _SEED_ENV == "any":
    _SEED = int(np.random.SeedSequence().entropy % 2**31)
else:
    _SEED = int(_SEED_ENV)


def pytest_report_header(config):
    return f"sparseopt tests: seed {_SEED} (reproduce with SPARSEOPT_TESTS_SEED={_SEED})"


@pytest.fixture
def seed():
    """The run's base seed."""
    return _SEED


@pytest.fixture
def rng(seed):
    """A fresh numpy Generator, seeded for reproducibility."""
    return np.random.default_rng(seed)
