"""What ``python -m sparseopt demo`` and ``bench`` run: cases, timing, tables, progress.

A module registers itself by defining, in ``sparseopt/<module>/_cli.py``:

- ``demos() -> list[Demo]``: short runs on embedded data, each checked against a reference;
- ``benchmarks(quick: bool) -> list[BenchCase]``: side-by-side timings against the peers.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Demo:
    """One row of ``python -m sparseopt demo``.

    ``run()`` returns a dict with ``result`` (what was computed, as text), ``check`` (the
    comparison with a reference, as text) and ``ok`` (whether the check passed).
    """

    task: str
    run: Callable[[], dict]


@dataclass
class Contender:
    """One implementation timed in a :class:`BenchCase`.

    ``fn(data)`` runs it on the case's inputs and returns its output. A peer that is not
    installed raises ImportError from ``fn`` (or from ``prepare``) and is reported as
    missing, not as slow.
    """

    label: str
    fn: Callable[[Any], Any]
    ours: bool = False
    prepare: Callable[[Any], Any] | None = None
    detail: str = ""  # set by prepare (e.g. the tolerance a sweep chose); shown in tables


@dataclass
class BenchCase:
    """Inputs made once by ``make()``, and the contenders timed side by side on them.

    ``baseline`` names the peer the speed-ups are relative to. ``discrepancy(ref, out)``
    measures how far a contender's output is from the baseline's (default: the largest
    absolute difference relative to the largest absolute reference value).
    """

    name: str
    make: Callable[[], Any]
    contenders: list[Contender]
    baseline: str
    discrepancy: Callable[[Any, Any], float] | None = None
    notes: str = ""
    # at most this many timed repeats (for cases whose peers take minutes per run)
    max_repeat: int | None = None


@dataclass
class Timing:
    case: str
    label: str
    ours: bool
    detail: str = ""
    times: list[float] = field(default_factory=list)
    error: str | None = None
    discrepancy: float | None = None

    @property
    def median(self) -> float:
        return float(np.median(self.times)) if self.times else float("nan")


def relative_max_error(ref, out) -> float:
    ref, out = np.asarray(ref), np.asarray(out)
    scale = np.max(np.abs(ref)) if ref.size else 0.0
    diff = np.max(np.abs(out - ref)) if ref.size else 0.0
    return float(diff / scale) if scale > 0 else float(diff)


class Progress:
    """A minimal progress bar on stderr (one line per step when stderr is not a tty)."""

    def __init__(self, total: int, label: str = "", stream=None, width: int = 30):
        self.total, self.label, self.width = max(total, 1), label, width
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def step(self, what: str = "") -> None:
        self.done += 1
        filled = int(self.width * self.done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        line = f"{self.label} [{bar}] {self.done}/{self.total} {what}"
        if self.tty:
            self.stream.write("\r" + line[:120].ljust(120))
            if self.done >= self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def run_case(case: BenchCase, repeat: int, progress: Progress | None = None) -> list[Timing]:
    """Time every contender of ``case``, interleaving the repeats.

    Interleaving (A B C, A B C, ...) spreads the noise of a shared machine over all
    contenders instead of penalising whichever ran during a burst of load.
    """
    data = case.make()
    timings, runnable, outputs = [], [], {}
    for c in case.contenders:
        t = Timing(case.name, c.label, c.ours)
        timings.append(t)
        try:
            inputs = c.prepare(data) if c.prepare else data
            outputs[c.label] = c.fn(inputs)  # warm-up call, also the output compared
            t.detail = c.detail
            runnable.append((c, t, inputs))
        except ImportError as exc:
            t.error = f"not installed ({exc.name or exc})"
    n_repeat = repeat if case.max_repeat is None else min(repeat, case.max_repeat)
    for _ in range(n_repeat):
        for c, t, inputs in runnable:
            t0 = time.perf_counter()
            c.fn(inputs)
            t.times.append(time.perf_counter() - t0)
        if progress is not None:
            progress.step(case.name)
    measure = case.discrepancy or relative_max_error
    if case.baseline in outputs:
        ref = outputs[case.baseline]
        for t in timings:
            if t.label in outputs:
                t.discrepancy = measure(ref, outputs[t.label])
    return timings


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """Plain-text table with left-aligned first columns and right-aligned numbers."""
    cols = list(zip(headers, *rows, strict=True)) if rows else [[h] for h in headers]
    widths = [max(len(str(v)) for v in col) for col in cols]

    def fmt(row):
        cells = []
        for i, (v, w) in enumerate(zip(row, widths, strict=True)):
            v = str(v)
            cells.append(v.ljust(w) if i < 2 else v.rjust(w))
        return "  ".join(cells).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(headers), sep, *(fmt(r) for r in rows)])


def bench_table(results: list[tuple[BenchCase, list[Timing]]]) -> str:
    """The ``bench`` table: one row per (case, contender), speed-up vs the baseline."""
    headers = ["case", "implementation", "median ms", "min ms", "speed-up vs baseline",
               "max rel. diff"]
    rows = []
    for case, timings in results:
        base = next((t for t in timings if t.label == case.baseline and t.times), None)
        for t in timings:
            if t.error:
                rows.append([case.name, t.label, "-", "-", t.error, "-"])
                continue
            speed = "-" if base is None else f"{base.median / t.median:.2f}x"
            if t is base:
                speed += " (baseline)"
            diff = "-" if t.discrepancy is None else f"{t.discrepancy:.1e}"
            label = f"{t.label} [{t.detail}]" if t.detail else t.label
            rows.append([case.name, label, f"{1e3 * t.median:.2f}",
                         f"{1e3 * min(t.times):.2f}", speed, diff])
    return format_table(headers, rows)
