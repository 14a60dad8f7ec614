"""EntropicTransport against POT's ot.da.SinkhornTransport and sinkhorn()."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sparseopt.ot import EntropicTransport, sinkhorn

ot = pytest.importorskip("ot")


@pytest.fixture
def samples():
    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(40, 3))
    Xt = rng.normal(loc=1.5, scale=0.7, size=(55, 3))
    return Xs, Xt


def test_matches_pot_sinkhorn_transport(samples):
    Xs, Xt = samples
    reg = 0.1
    ours = EntropicTransport(reg=reg, norm="max", tol=1e-12).fit(Xs, Xt=Xt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pot = ot.da.SinkhornTransport(reg_e=reg, norm="max", max_iter=100_000, tol=1e-14)
        pot.fit(Xs=Xs, Xt=Xt)
    assert_allclose(ours.coupling_, pot.coupling_, atol=1e-10)
    assert_allclose(ours.transform(Xs), pot.transform(Xs=Xs), atol=1e-8)
    # unseen samples: the entropic map (POT's default) and the nearest-source displacement
    rng = np.random.default_rng(1)
    new = rng.normal(size=(7, 3))
    assert_allclose(ours.transform(new), pot.transform(Xs=new), atol=1e-8)
    ours.set_params(out_of_sample="nearest")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pot_nn = ot.da.SinkhornTransport(reg_e=reg, norm="max", max_iter=100_000, tol=1e-14,
                                         out_of_sample_map="ferradans").fit(Xs=Xs, Xt=Xt)
    assert_allclose(ours.transform(new), pot_nn.transform(Xs=new), atol=1e-8)


def test_coupling_is_sinkhorns_plan(samples):
    Xs, Xt = samples
    w = np.arange(1, 41, dtype=float)
    et = EntropicTransport(reg=0.5, metric="euclidean", method="sns", tol=1e-11)
    et.fit(Xs, Xt=Xt, sample_weight=w)
    M = cdist(Xs, Xt)
    P = sinkhorn(w / w.sum(), [], M, 0.5, tol=1e-11)
    assert_allclose(et.coupling_, P, atol=1e-12)
    assert et.converged_ and et.n_iter_ > 0
    assert_allclose(et.barycenters_, (P @ Xt) / P.sum(1, keepdims=True), rtol=1e-10)
    assert_allclose(et.transform(Xs), et.barycenters_)
    assert_allclose(et.cost_, np.sum(P * M), rtol=1e-9)


def test_target_must_be_a_keyword(samples):
    Xs, Xt = samples
    with pytest.raises(TypeError, match="keyword Xt"):
        EntropicTransport().fit(Xs, Xt)
    with pytest.raises(ValueError, match="Xt must have shape"):
        EntropicTransport().fit(Xs, Xt=Xt[:, :2])
    with pytest.raises(ValueError, match="(?i)sample.weight.*non-zero|must not be all zero"):
        EntropicTransport().fit(Xs, Xt=Xt, sample_weight=np.zeros(len(Xs)))


def test_in_a_pipeline_with_routed_target(samples):
    Xs, Xt = samples
    pipe = make_pipeline(FunctionTransformer(), EntropicTransport(reg=0.2, norm="median"))
    out = pipe.fit(Xs, entropictransport__Xt=Xt).transform(Xs)
    direct = EntropicTransport(reg=0.2, norm="median").fit(Xs, Xt=Xt).transform(Xs)
    assert_allclose(out, direct)
    # mass is moved onto the target: the images' weighted mean is the target's mean
    assert_allclose(out.mean(0), Xt.mean(0), atol=1e-7)
