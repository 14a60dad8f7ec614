"""The completion rows of ``python -m sparseopt bench``: the SoftImpute-vs-fancyimpute
cases and their MatrixCompletion contenders."""

import re

import numpy as np
import pytest

from sparseopt.completion import _cli
from sparseopt.utils._benchmarking import BenchCase, run_case


def test_problem_gives_both_inputs_the_same_observed_entries():
    d = _cli._problem(120, seed=3)
    X, S = d["X"], d["X_observed"]
    rows, cols = np.nonzero(~np.isnan(X))
    assert S.nnz == rows.size
    np.testing.assert_array_equal(S[rows, cols], X[rows, cols])
    # the held-out entries are missing ones
    assert np.isnan(X.ravel()[d["test"]]).all()


def test_quick_softimpute_cases_list_every_contender():
    cases = _cli._softimpute_benchmarks(quick=True)
    labels = [[c.label for c in case.contenders] for case in cases]
    ours = ["sparseopt soft_impute", "sparseopt MatrixCompletion cholesky",
            "sparseopt MatrixCompletion cg"]
    assert labels == [ours + ["fancyimpute SoftImpute"], ours]
    assert cases[0].baseline == "fancyimpute SoftImpute"


def _parse(detail):
    m = re.fullmatch(r"test RMSE ([0-9.]+), peak (\d+) MB, (\d+) it", detail)
    assert m, detail
    return float(m[1]), int(m[2]), int(m[3])


def test_measured_contenders_report_rmse_memory_and_iterations():
    d = _cli._problem(500, seed=1)  # the quick case: 50 entries per row for rank 10
    contenders = [c for c in _cli._softimpute_contenders(1.0, peer=False)
                  if "MatrixCompletion" in c.label]  # soft_impute: the fancyimpute test
    case = BenchCase("toy", lambda: d, contenders,
                     baseline="sparseopt MatrixCompletion cholesky")
    timings = {t.label: t for t in run_case(case, repeat=1)}
    assert len(timings) == 2
    for t in timings.values():
        assert t.error is None and len(t.times) == 1
        assert _parse(t.detail)[2] >= 1
    # the detail's RMSE is the one of the predictions that were compared
    pred, _ = _cli._altmin(solver="cholesky", **_cli._ALTMIN)(d)
    rmse = np.sqrt(np.mean((pred - d["truth"]) ** 2))
    got = _parse(timings["sparseopt MatrixCompletion cholesky"].detail)[0]
    assert got == pytest.approx(rmse, abs=1e-4)
    # at the true rank the held-out error is near the noise level (0.1), far below the
    # entries' scale (RMS ~3.2); CG reaches the same predictions
    assert rmse < 0.2
    assert timings["sparseopt MatrixCompletion cg"].discrepancy < 1e-2


def test_fancyimpute_contender_runs():
    pytest.importorskip("fancyimpute")
    d = _cli._problem(80, seed=2)
    contenders = [c for c in _cli._softimpute_contenders(20.0, peer=True)
                  if "MatrixCompletion" not in c.label]  # 8 entries per row: too few
    case = BenchCase("toy", lambda: d, contenders, baseline="fancyimpute SoftImpute")
    timings = {t.label: t for t in run_case(case, repeat=1)}
    peer = timings["fancyimpute SoftImpute"]
    assert peer.error is None
    assert _parse(peer.detail)[2] >= 1
    # same lambda, both converged: soft_impute agrees with the dense iteration
    assert timings["sparseopt soft_impute"].discrepancy < 1e-2
