"""Monarch matrix products against the dense product of the same matrix (numpy BLAS)."""

import numpy as np

from .common import Benchmark, is_fast


class MonarchMatmul(Benchmark):
    """``X @ M.T`` for an MLP-sized 10000 -> 1024 layer (2048 -> 256 in fast mode)."""

    param_names = ["library", "nblocks", "batch"]
    params = (["sparseopt", "numpy-dense"], [4, 16], [10, 1000])

    def setup(self, library, nblocks, batch):
        from sparseopt.structured import MonarchMatrix

        n_in, n_out = (2048, 256) if is_fast() else (10000, 1024)
        self.M = MonarchMatrix.random((n_out, n_in), nblocks, dtype=np.float32,
                                      random_state=0)
        self.X = np.random.default_rng(0).standard_normal((batch, n_in)).astype(np.float32)
        if library == "sparseopt":
            self.run = lambda: self.X @ self.M.T
        else:
            W = self.M.toarray()
            self.run = lambda: self.X @ W.T

    def time_matmul(self, library, nblocks, batch):
        self.run()


class MonarchProject(Benchmark):
    """``monarch_project`` of a dense Gaussian matrix (1024 x 1024; 256 x 256 in fast mode)."""

    param_names = ["nblocks"]
    params = ([4, 32],)

    def setup(self, nblocks):
        from sparseopt.structured import monarch_project

        n = 256 if is_fast() else 1024
        self.W = np.random.default_rng(0).standard_normal((n, n))
        self.project = monarch_project

    def time_project(self, nblocks):
        self.project(self.W, nblocks)
