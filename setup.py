"""Build sparseopt's compiled core: C kernels in ``_ext/`` wrapped by Cython modules.

Every ``sparseopt/**/_*.pyx`` becomes an extension.  Each extension is compiled together
with the C sources it needs (listed in ``C_SOURCES``), as POT does, because a shared
``build_clib`` library does not link under ``pip install -e .``.

Environment variables
---------------------
SPARSEOPT_NATIVE=1         add ``-march=native`` (not portable: for local benchmarking only)
SPARSEOPT_DISABLE_OPENMP=1 build without OpenMP even when the compiler supports it
SPARSEOPT_CYTHON_DEBUG=1   Cython bounds checks and wraparound on (slow; for debugging)
"""

import os
import shutil
import sys
import tempfile
import textwrap
import warnings
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent.resolve()
EXT_INCLUDE = "_ext/include"

# Which C sources each Cython module links in (paths relative to the project root).
C_SOURCES = {
    "sparseopt.utils._openmp": ["_ext/src/openmp_info.c"],
    "sparseopt.utils._csr_check": ["_ext/src/csr_check.c"],
    "sparseopt.sparse._csrmm": ["_ext/src/csrmm.c"],
    "sparseopt.sparse._spgemm": ["_ext/src/spgemm.c"],
    "sparseopt.ot._sinkhorn": ["_ext/src/sinkhorn.c"],
}

OPENMP_PROBE = textwrap.dedent(
    """
    #include <omp.h>
    #include <stdio.h>
    int main(void) {
        int n = 0;
        #pragma omp parallel reduction(+:n)
        n += 1;
        printf("%d", n > 0 ? omp_get_max_threads() : 0);
        return 0;
    }
    """
)


def _env_flag(name):
    return os.environ.get(name, "0").strip().lower() in ("1", "true", "yes", "on")


def _compiler_openmp_flags(compiler):
    """Return the OpenMP (compile, link) flags for this compiler, or None when it has none.

    The probe compiles and links a small OpenMP program, as scikit-learn and POT do.
    """
    if _env_flag("SPARSEOPT_DISABLE_OPENMP"):
        return None
    if compiler.compiler_type == "msvc":
        candidates = [(["/openmp"], [])]
    elif sys.platform == "darwin":
        candidates = [(["-Xpreprocessor", "-fopenmp"], ["-lomp"]), (["-fopenmp"], ["-fopenmp"])]
    else:
        candidates = [(["-fopenmp"], ["-fopenmp"])]
    tmp = tempfile.mkdtemp(prefix="sparseopt-omp-")
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as fh:
            fh.write(OPENMP_PROBE)
        for cflags, lflags in candidates:
            try:
                objs = compiler.compile([src], output_dir=tmp, extra_postargs=cflags)
                compiler.link_executable(
                    objs, "probe", output_dir=tmp, extra_postargs=lflags
                )
                return cflags, lflags
            except Exception:
                continue
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class BuildExt(build_ext):
    """build_ext that adds optimisation and (when available) OpenMP flags."""

    def build_extensions(self):
        flags = _compiler_openmp_flags(self.compiler)
        if flags is None:
            why = ("SPARSEOPT_DISABLE_OPENMP is set" if _env_flag("SPARSEOPT_DISABLE_OPENMP")
                   else "the C compiler has no usable OpenMP (install an OpenMP runtime, "
                        "e.g. libgomp or libomp, and rebuild for multi-threaded kernels)")
            warnings.warn(f"sparseopt: building the kernels single-threaded: {why}.",
                          stacklevel=1)
            omp_c, omp_l = [], []
        else:
            omp_c, omp_l = flags
        unix = self.compiler.compiler_type != "msvc"
        opt = ["-O3"] if unix else ["/O2"]
        if unix and _env_flag("SPARSEOPT_NATIVE"):
            opt.append("-march=native")
        for ext in self.extensions:
            ext.extra_compile_args = list(ext.extra_compile_args) + opt + omp_c
            ext.extra_link_args = list(ext.extra_link_args) + omp_l
        super().build_extensions()


def _extensions():
    import numpy as np
    from Cython.Build import cythonize

    headers = sorted(str(p.relative_to(HERE)) for p in HERE.glob("_ext/**/*.h"))
    exts = []
    for pyx in sorted(HERE.glob("sparseopt/**/_*.pyx")):
        rel = pyx.relative_to(HERE)
        name = ".".join(rel.with_suffix("").parts)
        exts.append(
            Extension(
                name,
                sources=[str(rel)] + C_SOURCES.get(name, []),
                include_dirs=[EXT_INCLUDE, np.get_include()],
                # Rebuild when a header or template body changes, not only a .c file.
                depends=headers,
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
            )
        )
    unknown = set(C_SOURCES) - {e.name for e in exts}
    if unknown:
        raise RuntimeError(f"C_SOURCES names modules with no .pyx: {sorted(unknown)}")
    debug = _env_flag("SPARSEOPT_CYTHON_DEBUG")
    return cythonize(
        exts,
        compiler_directives={
            "language_level": 3,
            "boundscheck": debug,
            "wraparound": debug,
            "initializedcheck": debug,
            "cdivision": True,
            "embedsignature": True,
        },
        nthreads=os.cpu_count() or 1,
    )


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildExt})
