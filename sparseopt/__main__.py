"""Command line: ``python -m sparseopt demo | bench | info``."""

from __future__ import annotations

import argparse
import platform
import sys
import time
from importlib import metadata


def _modules(selected=None):
    from sparseopt.utils.discovery import cli_modules

    mods = cli_modules()
    if selected:
        known = {name for name, _ in mods}
        unknown = sorted(set(selected) - known)
        if unknown:
            raise SystemExit(
                f"sparseopt: unknown module(s) {', '.join(unknown)}; "
                f"available: {', '.join(sorted(known))}"
            )
        mods = [(n, m) for n, m in mods if n in selected]
    return mods


def cmd_demo(args) -> int:
    """Run every registered demo; exit status 1 if any check failed."""
    from sparseopt.utils._benchmarking import format_table

    rows, failed = [], 0
    for name, mod in _modules(args.modules):
        for demo in getattr(mod, "demos", lambda: [])():
            t0 = time.perf_counter()
            try:
                out = demo.run()
            except Exception as exc:
                out = {"result": f"error: {type(exc).__name__}: {exc}", "check": "-",
                       "ok": False}
            seconds = time.perf_counter() - t0
            failed += not out["ok"]
            rows.append([name, demo.task, out["result"], out["check"],
                         "ok" if out["ok"] else "FAIL", f"{seconds:.2f}"])
    print(format_table(["module", "task", "result", "check", "status", "s"], rows))
    print(f"\n{len(rows) - failed} of {len(rows)} demos passed their checks.")
    return 1 if failed else 0


def cmd_bench(args) -> int:
    """Run the side-by-side benchmarks and print the table of speed-ups."""
    import os

    # Contenders run interleaved in one process, and several bring their own OpenMP
    # runtime (ours, the libgomp copy bundled with GraphBLAS, MKL's Intel runtime). By
    # default each runtime's threads spin for a while after a parallel call, so on a
    # small machine the next contender's threads find the cores busy. Every runtime is
    # told to sleep at once instead, before any of them is loaded (a user's own setting
    # wins); the policy is printed under the table.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    os.environ.setdefault("KMP_BLOCKTIME", "0")
    from sparseopt.utils._benchmarking import Progress, bench_table, run_case

    cases = []
    for _, mod in _modules(args.modules):
        if hasattr(mod, "benchmarks"):
            cases.extend(mod.benchmarks(quick=args.quick))
    if args.case:
        cases = [c for c in cases if args.case in c.name]
    repeat = args.repeat or (3 if args.quick else 7)
    progress = Progress(len(cases) * repeat, label="bench")
    results = [(case, run_case(case, repeat, progress)) for case in cases]
    print()
    print(bench_table(results))
    notes = [f"- {c.name}: {c.notes}" for c, _ in results if c.notes]
    if notes:
        print("\n" + "\n".join(notes))
    print(f"\nmedian of {repeat} interleaved repeats; speed-up = baseline time / time; "
          f"threads available: {_threads()}; OMP_WAIT_POLICY="
          f"{os.environ['OMP_WAIT_POLICY']}, KMP_BLOCKTIME={os.environ['KMP_BLOCKTIME']}")
    if not args.case:  # studies: reports that are not timings (e.g. iteration counts)
        for _, mod in _modules(args.modules):
            for study in getattr(mod, "studies", lambda quick: [])(args.quick):
                print("\n" + study())
    return 0


def _threads():
    from sparseopt.utils import effective_n_threads

    return effective_n_threads()


def _version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def cmd_info(args) -> int:
    """Print versions, the OpenMP state, BLAS and threads."""
    import sparseopt
    from sparseopt.utils import openmp_info
    from sparseopt.utils._benchmarking import format_table

    print(f"sparseopt {sparseopt.__version__}")
    print(f"python    {sys.version.split()[0]} ({platform.platform()})")
    rows = [[d, _version(d)] for d in (
        "numpy", "scipy", "scikit-learn", "threadpoolctl", "joblib", "Cython", "cvxpy",
        "clarabel", "pot", "skglm", "celer", "torch", "dask")]
    print("\n" + format_table(["dependency", "version"], rows))
    omp = openmp_info()
    print("\nOpenMP")
    print(f"  compiled with OpenMP : {'yes' if omp['openmp'] else 'no (single-threaded)'}")
    print(f"  OpenMP version       : {omp['openmp_version'] or '-'}")
    print(f"  OpenMP max threads   : {omp['max_threads']}")
    print(f"  available CPUs       : {omp['available_cpus']}")
    print(f"  kernels will use     : {omp['effective_n_threads']} thread(s)")
    try:
        from threadpoolctl import threadpool_info

        pools = threadpool_info()
    except ImportError:
        pools = []
    if pools:
        print("\nThread pools (threadpoolctl)")
        rows = [[p.get("user_api", "?"), p.get("internal_api", "?"), p.get("version") or "-",
                 str(p.get("num_threads", "?")), p.get("filepath", "")] for p in pools]
        print(format_table(["api", "library", "version", "threads", "path"], rows))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sparseopt",
        description="sparseopt: run the demo, the benchmarks against the peers, or show "
                    "build information.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="run every capability on embedded data")
    p.add_argument("modules", nargs="*", help="only these modules (default: all)")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("bench", help="time sparseopt against its peers, side by side")
    p.add_argument("modules", nargs="*", help="only these modules (default: all)")
    p.add_argument("--quick", action="store_true", help="small problems, few repeats")
    p.add_argument("--repeat", type=int, default=None, help="repeats per contender")
    p.add_argument("--case", default=None, help="only cases whose name contains this")
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("info", help="versions, OpenMP, BLAS and threads")
    p.set_defaults(func=cmd_info)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "repeat", None) is not None and args.repeat < 1:
        raise SystemExit("sparseopt: --repeat must be a positive integer")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
