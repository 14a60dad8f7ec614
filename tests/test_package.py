"""The package as a whole: lazy import, config, exceptions, lint."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sparseopt

ROOT = Path(__file__).resolve().parents[1]


def test_import_is_lazy():
    # `import sparseopt` must not pay for numpy/scipy/scikit-learn (subpackages are lazy).
    code = ("import sys, sparseopt; "
            "print(','.join(m for m in ('numpy', 'scipy', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""


def test_subpackages_resolve():
    assert sparseopt.sparse.csr_matmat_dense is not None
    assert "sparse" in dir(sparseopt)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sparseopt.nope  # noqa: B018


def test_config_context_restores():
    assert sparseopt.get_config()["n_threads"] is None
    with sparseopt.config_context(n_threads=1):
        assert sparseopt.get_config()["n_threads"] == 1
        from sparseopt.utils import effective_n_threads

        assert effective_n_threads() == 1
    assert sparseopt.get_config()["n_threads"] is None


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                      (True, TypeError)])
def test_set_config_rejects(bad, exc):
    with pytest.raises(exc, match="n_threads"):
        sparseopt.set_config(n_threads=bad)


def test_convergence_warning_is_sklearns():
    from sklearn.exceptions import ConvergenceWarning

    assert issubclass(sparseopt.exceptions.ConvergenceWarning, ConvergenceWarning)


def test_no_generated_c_is_tracked():
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    files = subprocess.run(["git", "ls-files", "sparseopt"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    assert not [f for f in files if f.endswith((".c", ".cpp"))]


def test_ruff_clean():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    out = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
