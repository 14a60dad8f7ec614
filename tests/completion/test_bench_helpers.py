"""The completion module's benchmark helpers: the peer study and the recovery case."""

import re
import sys

import numpy as np
import pytest

from sparseopt.completion import _cli
from sparseopt.utils._benchmarking import run_case

# fake seconds per iteration, distinct for every (library, solver, dtype)
_OURS = {("cholesky", "float64"): 0.004, ("cholesky", "float32"): 0.002,
         ("cg", "float64"): 0.003, ("cg", "float32"): -0.001}
_IMPLICIT = {(False, "float64"): 0.010, (False, "float32"): 0.007,
             (True, "float64"): 0.009, (True, "float32"): 0.005}


def _rows(table):
    """The table's body rows, label -> the other cells (columns split on 2+ spaces)."""
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line and set(line) <= {"-", " "})
    body = [line for line in lines[start + 1:] if line and not line.startswith("implicit fits")]
    cells = [re.split(r"\s{2,}", line.strip()) for line in body]
    return {c[0]: c[1:] for c in cells}


@pytest.fixture
def fake_timings(monkeypatch):
    monkeypatch.setattr(_cli, "_iteration_seconds", lambda X, k, solver, **kw:
                        _OURS[solver, X.dtype.name])
    monkeypatch.setattr(_cli, "_implicit_iteration_seconds", lambda X, k, cg, dtype, **kw:
                        _IMPLICIT[cg, np.dtype(dtype).name])


def test_peer_study_pairs_each_row_with_implicit_same_solver_and_dtype(fake_timings):
    rows = _rows(_cli.peer_iteration_study(30, 2, repeat=1))
    assert len(rows) == 8
    assert rows["sparseopt MatrixCompletion cholesky float64"] == ["4.00", "2.50"]
    assert rows["sparseopt MatrixCompletion cholesky float32"] == ["2.00", "3.50"]
    assert rows["sparseopt MatrixCompletion cg float64"] == ["3.00", "3.00"]
    # a non-positive difference of timings is reported as such, with no ratio
    assert rows["sparseopt MatrixCompletion cg float32"] == ["below timer noise", "-"]
    assert rows["implicit ALS cholesky float64"] == ["10.00", "-"]
    assert rows["implicit ALS cg (3 steps) float32"] == ["5.00", "-"]


def test_peer_study_reports_missing_implicit(fake_timings, monkeypatch):
    def missing(*args, **kw):
        raise ImportError("no module", name="implicit")

    monkeypatch.setattr(_cli, "_implicit_iteration_seconds", missing)
    rows = _rows(_cli.peer_iteration_study(30, 2, repeat=2))
    assert rows["implicit ALS cg (3 steps) float64"] == ["not installed", "-"]
    assert rows["sparseopt MatrixCompletion cg float64"] == ["3.00", "-"]


def test_implicit_timing_raises_import_error_when_absent(monkeypatch):
    monkeypatch.setitem(sys.modules, "implicit.cpu.als", None)
    X = _cli.completion_problem(30, 2, seed=0)[2]
    with pytest.raises(ImportError):
        _cli._implicit_iteration_seconds(X, 2, True, np.float64)


def test_peer_study_runs_end_to_end():
    pytest.importorskip("implicit")
    rows = _rows(_cli.peer_iteration_study(100, 2, repeat=1))
    assert len(rows) == 8 and all(len(cells) == 2 for cells in rows.values())


def test_recovery_case_measures_error_to_the_truth():
    case = _cli._recovery_benchmarks(quick=True)[0]
    case.contenders = [c for c in case.contenders if c.ours]  # fancyimpute: slow, optional
    case.baseline = case.contenders[0].label
    timings = run_case(case, repeat=1)
    assert len(timings) == 2
    for t in timings:
        assert t.discrepancy < 1e-8  # the rank-5 300 x 300 acceptance problem, recovered
        assert t.detail.startswith(f"rel. error {t.discrepancy:.1e}")
    data = case.make()
    assert np.isnan(data["D"]).sum() == data["D"].size - data["X"].nnz


def test_peer_memory_study_measures_each_fit_in_a_subprocess():
    table = _cli.peer_memory_study(100, 2).splitlines()
    cells = [re.split(r"\s{2,}", line.strip()) for line in table[3:]]
    assert [c[:2] for c in cells] == [["sparseopt", "cholesky"], ["sparseopt", "cg"],
                                      ["implicit", "cholesky"], ["implicit", "cg"]]
    for library, _solver, added in cells:
        if library == "implicit" and added == "not installed":
            continue
        assert float(added) >= 0.0  # a number: the child ran the fit and reported
