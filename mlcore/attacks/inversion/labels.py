"""iDLG label recovery from the last layer's gradient (Zhao, Mopuri, Bilen, "iDLG: Improved
Deep Leakage from Gradients", arXiv:2001.02610, 2020)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

__all__ = ["infer_labels"]


def infer_labels(model: nn.Module, shared: Mapping[str, torch.Tensor], n_images: int) -> np.ndarray:
    """Recover the label of a single image from its shared gradient (iDLG).

    With cross-entropy on softmax outputs ``p``, the gradient of the last layer's bias is
    ``p - onehot(y)``: its one negative entry is the label. Without a bias, the rows of the
    weight gradient are ``(p_i - y_i) r^T`` with a non-negative representation ``r`` (after a
    sigmoid or ReLU), so the row with a negative sum is the label (Zhao et al. 2020, Sec. 3).
    The index of the smallest entry (row sum) is taken, as in the reference code.

    Parameters
    ----------
    model : torch.nn.Module
        The attacked model; its last :class:`torch.nn.Linear` (module order) is the output
        layer.
    shared : dict of str to torch.Tensor
        The shared gradient; must hold that layer's bias or weight gradient.
    n_images : int
        Batch size of the shared gradient; iDLG needs 1.

    Returns
    -------
    numpy.ndarray
        int64 ``(1,)``: the recovered label.
    """
    if isinstance(n_images, bool) or not isinstance(n_images, int | np.integer) or n_images != 1:
        raise ValueError(
            f"infer_labels: n_images must be 1 (iDLG reads one label from a batch-1 gradient); "
            f"got {n_images!r}"
        )
    linear = [name for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not linear:
        raise ValueError(
            f"infer_labels: {type(model).__name__} has no fully connected (torch.nn.Linear) "
            "output layer"
        )
    last = linear[-1]
    bias, weight = f"{last}.bias", f"{last}.weight"
    if bias in shared:
        scores = torch.as_tensor(shared[bias]).detach().reshape(-1)
    elif weight in shared:
        scores = torch.as_tensor(shared[weight]).detach().sum(dim=1)
    else:
        raise ValueError(
            f"infer_labels: shared must hold {bias!r} or {weight!r} (the output layer); "
            f"got keys {list(shared)}"
        )
    return np.array([int(torch.argmin(scores))], dtype=np.int64)
