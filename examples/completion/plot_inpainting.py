"""
==============================================================
Inpainting a photograph by low-rank matrix completion
==============================================================

Half of the pixels of a photograph are lost (a lost pixel loses all three of its colour
channels); we fill them in by low-rank matrix completion, with
:class:`~sparseopt.completion.MatrixCompletion` (alternating least squares at a fixed
rank, with a ridge) and with :class:`~sparseopt.completion.SoftImputeImputer`
(nuclear-norm shrinkage), and compare both with the original by the PSNR.

A natural image is only *approximately* low rank: its singular values decay, but
slowly. Completion therefore has to trade the detail a higher rank can represent
against the noise it fits from the few entries each row and column has; the ridge
``reg`` of ``MatrixCompletion`` and the shrinkage :math:`\\lambda` of SoftImpute are what
make that trade.
"""

# %%
# The image and the matrix
# ------------------------
# scikit-learn's ``china.jpg`` (427 x 640), averaged over 2 x 2 blocks to 213 x 320 so
# that the example runs in seconds, values scaled to [0, 1]. The three channels are
# placed side by side, ``[R | G | B]``: a 213 x 960 matrix, one row per image row. The
# channels of a photograph are strongly correlated, so this matrix has nearly the
# low-rank structure of one channel, while every row has three times the observed
# entries; a missing pixel is a missing entry in each of the three blocks.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy import ndimage
from sklearn.datasets import load_sample_image
from sklearn.exceptions import ConvergenceWarning  # sparseopt's is a subclass

from sparseopt.completion import MatrixCompletion, SoftImputeImputer

image = load_sample_image("china.jpg").astype(np.float64) / 255.0
h, w = image.shape[0] // 2, image.shape[1] // 2
image = image[: 2 * h, : 2 * w].reshape(h, 2, w, 2, 3).mean(axis=(1, 3))


def to_matrix(img):
    """(h, w, 3) image -> the (h, 3 w) matrix [R | G | B]."""
    return np.concatenate([img[:, :, c] for c in range(3)], axis=1)


def to_image(M):
    return np.stack(np.split(M, 3, axis=1), axis=2)


M = to_matrix(image)
rng = np.random.default_rng(0)
missing_pixel = rng.uniform(size=(h, w)) < 0.5
missing = np.tile(missing_pixel, 3)  # the same pixels in the three channel blocks
X = np.where(missing, np.nan, M)
print(f"matrix {M.shape[0]} x {M.shape[1]}, {missing_pixel.mean():.1%} of the pixels "
      "missing")

sv = np.linalg.svd(M, compute_uv=False)
tail = np.sqrt(np.cumsum((sv**2)[::-1])[::-1] / np.sum(sv**2))  # tail[k]: error of rank k
print("relative error of the best rank-k approximation of the full image: "
      + ", ".join(f"k={k}: {tail[k]:.3f}" for k in (10, 20, 40, 80)))


def psnr(estimate, reference):
    """Peak signal-to-noise ratio in dB for values in [0, 1]: 10 log10(1 / MSE)."""
    return 10.0 * np.log10(1.0 / np.mean((estimate - reference) ** 2))


def inpaint(completed):
    """Keep the observed pixels, fill the missing ones, clip to [0, 1]."""
    return np.where(missing, np.clip(completed, 0.0, 1.0), M)


# %%
# The two completions
# -------------------
# **How the parameters were chosen.** Not on the missing pixels (that would be tuning to
# the answer) but on a validation set: 10 % of the *observed* pixels were hidden as well,
# and each setting was scored by the PSNR on those. The grid was rank
# :math:`k \in \{10, 20, 30, 40, 60\}` x ``reg`` :math:`\in \{0.3, 1, 2, 3\}` for
# ``MatrixCompletion`` and :math:`\lambda \in \{1, 1.5, 2, 3\}`, without and with
# ``max_rank=40``, for SoftImpute (``sweep()`` at the end of this script reruns it, in a
# few minutes). ``MatrixCompletion``: ``reg=1`` scored best at every rank, and ranks 20
# to 60 within 0.1 dB of each other (20.65 to 20.74 dB), so we take the cheapest,
# ``k=20``; with the smaller ridge ``reg=0.3`` the higher ranks overfit (0.4 dB lower at
# k=20, 1.2 dB at k=40). SoftImpute: :math:`\lambda = 1.5` with at most 40 singular
# values per step scored best (20.38 dB, :math:`\lambda = 1` the same to 0.01 dB; the
# best unrestricted setting 20.27 dB) and is several times faster than unrestricted.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

t0 = time.perf_counter()
mc = MatrixCompletion(rank=20, reg=1.0, tol=1e-4, random_state=0).fit(X)
mc_image = inpaint(mc.reconstruct())
mc_seconds = time.perf_counter() - t0

t0 = time.perf_counter()
si = SoftImputeImputer(shrinkage=1.5, max_rank=40, random_state=0)
si_image = inpaint(si.fit_transform(X))  # replaces exactly the NaNs
si_seconds = time.perf_counter() - t0

# %%
# A purely local reference: each missing pixel is the Gaussian-weighted mean
# (:math:`\sigma = 1` pixel) of the observed pixels around it (normalized convolution).
# It uses what low-rank completion ignores, that neighbouring pixels are alike.
observed = (~missing_pixel).astype(np.float64)
weights = ndimage.gaussian_filter(observed, 1.0)
local = np.stack([ndimage.gaussian_filter(image[:, :, c] * observed, 1.0) / weights
                  for c in range(3)], axis=2)
local_image = inpaint(to_matrix(local))

results = {
    f"MatrixCompletion (k=20, reg=1), {mc.n_iter_} it, {mc_seconds:.1f} s": mc_image,
    f"SoftImputeImputer (lambda=1.5, rank {si.rank_}), {si.n_iter_} it, "
    f"{si_seconds:.1f} s": si_image,
    "local Gaussian fill (sigma = 1 px)": local_image,
}
scores = {}
for name, est in results.items():
    scores[name] = (psnr(est[missing], M[missing]), psnr(est, M))
    print(f"{name}: PSNR {scores[name][0]:.2f} dB on the missing pixels, "
          f"{scores[name][1]:.2f} dB on the whole image")

# %%
# Both PSNRs are for values in [0, 1]. "Whole image" counts the observed pixels too,
# which every method keeps exactly, so it is the missing-pixel PSNR plus
# :math:`10\log_{10} 2 \approx 3` dB. ``MatrixCompletion`` comes out ahead of
# SoftImpute, but only just (0.1 dB here, 0.3 dB on the validation pixels); both blur
# the fine texture a rank-20 to rank-40 approximation cannot hold, and SoftImpute's
# shrinkage also lowers the contrast of what it keeps. The local fill beats both by
# about 2 dB: on uniformly scattered missing pixels almost every lost pixel has observed
# neighbours, and a low-rank model does not know that pixels are neighbours. Low-rank
# completion is the right tool when the entries have no such geometry (ratings, survey
# or sensor tables); here it is a demonstration.
masked = np.where(np.tile(missing_pixel[:, :, None], (1, 1, 3)), 0.0, image)
panels = [("original", image),
          (f"{missing_pixel.mean():.0%} of the pixels missing (black)", masked)]
for name, est in results.items():
    label = name.split(" (")[0] if not name.startswith("local") else "local fill"
    panels.append((f"{label}\nPSNR {scores[name][0]:.2f} dB missing, "
                   f"{scores[name][1]:.2f} dB all", to_image(est)))

fig, axes = plt.subplots(2, 3, figsize=(11, 6.4))
slots = [axes[0, 0], axes[0, 1], axes[1, 0], axes[1, 1], axes[1, 2]]
for ax, (title, img) in zip(slots, panels, strict=True):
    ax.imshow(np.clip(img, 0.0, 1.0))
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
ax = axes[0, 2]
ax.semilogy(sv / sv[0], lw=1)
ax.axvline(20, color="C1", ls="--", lw=1, label="k = 20 (MatrixCompletion)")
ax.axvline(si.rank_, color="C2", ls=":", lw=1, label=f"rank {si.rank_} (SoftImpute)")
ax.set_xlabel("index")
ax.set_title("singular values of the full [R|G|B] matrix", fontsize=9)
ax.legend(fontsize=7)
fig.tight_layout()

# %%
# A detail (64 x 96 pixels of the pagoda) of the original and of the three fills. The
# low-rank fills show horizontal and vertical streaks: their errors are themselves
# low rank, products of a row pattern and a column pattern.
crop = (slice(120, 184), slice(20, 116))
fig, axes = plt.subplots(1, 4, figsize=(11, 2.4))
crops = [("original", image)] + [(name.split(" (")[0], to_image(est))
                                 for name, est in results.items()]
for ax, (title, img) in zip(axes, crops, strict=True):
    ax.imshow(np.clip(img[crop], 0.0, 1.0), interpolation="nearest")
    ax.set_title(title, fontsize=8)
    ax.set_axis_off()
fig.tight_layout()
plt.show()


# %%
# The parameter sweep
# -------------------
# Not run here (a few minutes). It hides another 10 % of the observed pixels and scores
# every setting by the PSNR on them.
def sweep():
    hide = (~missing_pixel) & (np.random.default_rng(1).uniform(size=(h, w)) < 0.1)
    val = np.tile(hide, 3)
    X_val = np.where(missing | val, np.nan, M)
    for k in (10, 20, 30, 40, 60):
        for reg in (0.3, 1.0, 2.0, 3.0):
            model = MatrixCompletion(k, reg=reg, tol=1e-4, random_state=0).fit(X_val)
            est = np.clip(model.reconstruct(), 0.0, 1.0)
            print(f"MatrixCompletion k={k} reg={reg}: {psnr(est[val], M[val]):.2f} dB")
    for lam in (1.0, 1.5, 2.0, 3.0):
        for max_rank in (None, 40):
            est = np.clip(SoftImputeImputer(shrinkage=lam, max_rank=max_rank,
                                            random_state=0).fit_transform(X_val), 0, 1)
            print(f"SoftImpute lambda={lam} max_rank={max_rank}: "
                  f"{psnr(est[val], M[val]):.2f} dB")
