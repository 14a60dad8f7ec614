"""python -m sparseopt demo | bench | info."""

import subprocess
import sys

import pytest

from sparseopt.__main__ import main
from sparseopt.utils._benchmarking import BenchCase, Contender, Progress, run_case


def test_demo_runs_and_passes(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "csr_matmat_dense" in out and "FAIL" not in out
    assert "demos passed their checks" in out


def test_bench_quick_one_case(capsys):
    assert main(["bench", "sparse", "--quick", "--repeat", "1", "--case", "x1 "]) == 0
    out = capsys.readouterr().out
    assert "scipy A @ X (1 thread)" in out and "(baseline)" in out


def test_info_reports_openmp(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "compiled with OpenMP" in out and "kernels will use" in out


def test_unknown_module_is_reported():
    with pytest.raises(SystemExit, match="unknown module"):
        main(["demo", "nosuchmodule"])


def test_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "sparseopt", "--help"], capture_output=True,
                         text=True, check=True)
    assert "demo" in out.stdout and "bench" in out.stdout and "info" in out.stdout


def test_run_case_reports_missing_peer_and_discrepancy():
    def missing(_):
        raise ImportError("no module", name="peerlib")

    case = BenchCase("toy", make=lambda: 3.0, baseline="ref", contenders=[
        Contender("ours", lambda d: d + 1e-3, ours=True),
        Contender("ref", lambda d: d),
        Contender("absent", missing),
    ])
    timings = {t.label: t for t in run_case(case, repeat=2, progress=Progress(2))}
    assert len(timings["ours"].times) == 2
    assert timings["ours"].discrepancy == pytest.approx(1e-3 / 3.0)
    assert timings["absent"].error == "not installed (peerlib)"
