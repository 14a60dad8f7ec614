"""Selection rules of the BCD engine on all features (Nutini, Laradji & Schmidt).

``time_solve`` is the wall-clock time to a relative duality gap of 1e-6 and
``track_updates`` the block updates it took: the paper compares iterations, users wait
for time, and the two disagree (see the user guide's "Where greedy rules lose").
"""

from .common import Benchmark, is_fast

_RULES = ["cyclic", "random", "gs", "gsl", "gsq", "gsd"]


class RulesSolve(Benchmark):
    """Each rule on blocks of 5 (sorted fixed blocks for cyclic, variable otherwise)."""

    param_names = ["datafit", "rule"]
    params = (["ls", "logistic"], _RULES)

    def setup(self, datafit, rule):
        from sparseopt.bcd import L1, GreedyBCD, Logistic, Quadratic
        from sparseopt.bcd._cli import paper_like_problem

        n, p = (200, 400) if is_fast() else (1000, 2000)
        self.X, self.y, alpha = paper_like_problem(datafit, n, p)
        df = Quadratic() if datafit == "ls" else Logistic()
        blocks = "sorted" if rule == "cyclic" else "variable"
        self.solver = GreedyBCD(df, L1(alpha), selection=rule, blocks=blocks, block_size=5,
                                working_set=False, support_solve=False, tol=1e-6,
                                random_state=0, max_epochs=100_000)

    def time_solve(self, datafit, rule):
        self.solver.solve(self.X, self.y)

    def track_updates(self, datafit, rule):
        return self.solver.solve(self.X, self.y).n_updates
