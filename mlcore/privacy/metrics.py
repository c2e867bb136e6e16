"""Image-reconstruction quality per image: MSE (pixel and normalized space), PSNR, SSIM.

PSNR and SSIM come from :mod:`torchmetrics.functional` (``peak_signal_noise_ratio``,
``structural_similarity_index_measure``: Gaussian window of 11 pixels, sigma 1.5, data range
1). MSE in normalized space is ``MSE_pixel / std^2``, the scale Soteria's repository reports
(inputs normalized by the data set's standard deviation; 0.3081 for MNIST).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torchmetrics.functional.image import (
    peak_signal_noise_ratio,
    structural_similarity_index_measure,
)

__all__ = ["ReconstructionMetrics", "reconstruction_metrics"]

MNIST_STD = 0.3081


@dataclass(frozen=True)
class ReconstructionMetrics:
    """Per-image metrics, each a float64 array of shape ``(n,)``.

    Attributes
    ----------
    mse : numpy.ndarray
        Mean squared error in [0, 1] pixel space.
    mse_normalized : numpy.ndarray
        ``mse / std^2``.
    psnr : numpy.ndarray
        ``10 log10(1 / mse)``, dB (``inf`` for a perfect reconstruction).
    ssim : numpy.ndarray
        Structural similarity, in [-1, 1].
    """

    mse: np.ndarray
    mse_normalized: np.ndarray
    psnr: np.ndarray
    ssim: np.ndarray

    def median(self) -> dict[str, float]:
        """Median of each metric over the images."""
        return {k: float(np.median(v)) for k, v in self.to_dict().items()}

    def mean(self) -> dict[str, float]:
        """Mean of each metric over the images."""
        return {k: float(np.mean(v)) for k, v in self.to_dict().items()}

    def to_dict(self) -> dict[str, np.ndarray]:
        return {
            "mse": self.mse,
            "mse_normalized": self.mse_normalized,
            "psnr": self.psnr,
            "ssim": self.ssim,
        }


def _as_images(value, name: str) -> torch.Tensor:
    tensor = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value)
    if tensor.ndim != 4 or not torch.is_floating_point(tensor) or tensor.shape[0] == 0:
        raise ValueError(
            f"{name} must be floating-point images of shape (n, c, h, w) with n >= 1; got "
            f"{tensor.dtype} {tuple(tensor.shape)}"
        )
    return tensor.detach().double().cpu()


def reconstruction_metrics(
    original, reconstructed, std: float = MNIST_STD
) -> ReconstructionMetrics:
    """Compare reconstructions with the originals, image by image.

    Parameters
    ----------
    original, reconstructed : array_like or torch.Tensor
        Images in [0, 1] pixel space, shape ``(n, c, h, w)`` with ``h, w >= 11`` (the SSIM
        window).
    std : float
        Standard deviation of the data's normalization (MNIST: 0.3081).

    Returns
    -------
    ReconstructionMetrics
    """
    x, x_hat = _as_images(original, "original"), _as_images(reconstructed, "reconstructed")
    if x.shape != x_hat.shape:
        raise ValueError(
            f"original and reconstructed must have the same shape; got {tuple(x.shape)} and "
            f"{tuple(x_hat.shape)}"
        )
    if min(x.shape[-2:]) < 11:
        raise ValueError(f"images must be at least 11 x 11 for SSIM; got {tuple(x.shape[-2:])}")
    if not std > 0:
        raise ValueError(f"std must be a float > 0; got {std!r}")
    mse = ((x_hat - x) ** 2).flatten(1).mean(1)
    psnr = peak_signal_noise_ratio(x_hat, x, data_range=1.0, reduction="none", dim=(1, 2, 3))
    ssim = structural_similarity_index_measure(x_hat, x, data_range=1.0, reduction="none")
    return ReconstructionMetrics(
        mse.numpy(), (mse / std**2).numpy(), psnr.numpy(), ssim.reshape(-1).numpy()
    )
