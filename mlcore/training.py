"""Seeded training and evaluation loops shared by every mlcore result.

:func:`fit` is a plain mini-batch loop with hooks: an extra loss term (e.g. BSQ's bit
regularizer), a batch transform (e.g. adversarial or boundary samples), and an after-step
callback (e.g. clamping bit planes to [0, 2]). It shows a tqdm progress bar and returns the
per-epoch history as data.
"""

from __future__ import annotations

import platform
import random
from collections.abc import Callable, Iterable

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .data import ImageDataset

__all__ = ["seed_everything", "fit", "evaluate", "predict_logits", "provenance"]


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch; return a torch generator seeded with ``seed``."""
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)  # noqa: NPY002  (libraries such as ART use it)
    torch.manual_seed(int(seed))
    return torch.Generator().manual_seed(int(seed))


def _as_tensors(data: ImageDataset | tuple) -> tuple[torch.Tensor, torch.Tensor]:
    X, y = (data.X, data.y) if isinstance(data, ImageDataset) else data
    return torch.as_tensor(np.asarray(X, dtype=np.float32)), torch.as_tensor(np.asarray(y))


def fit(
    model: nn.Module,
    data: ImageDataset | tuple[np.ndarray, np.ndarray],
    *,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    params: Iterable | None = None,
    extra_loss: Callable[[nn.Module], torch.Tensor] | None = None,
    batch_transform: Callable[[nn.Module, torch.Tensor, torch.Tensor], tuple] | None = None,
    after_step: Callable[[nn.Module], None] | None = None,
    epoch_end: Callable[[nn.Module, int], bool] | None = None,
    progress: bool = True,
    desc: str = "train",
) -> list[dict]:
    """Train ``model`` in place with cross-entropy; return one dict per epoch.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(batch, c, h, w)`` images to ``(batch, n_classes)`` logits.
    data : ImageDataset or (X, y)
        Training samples.
    epochs, lr, batch_size, weight_decay
        The usual; ``optimizer`` is ``"adam"`` or ``"sgd"`` (momentum 0.9).
    seed : int
        Seeds the shuffling (and torch's global generator for anything stochastic inside).
    params : iterable, optional
        Parameters (or groups) to optimize; default all of ``model.parameters()``.
    extra_loss : callable(model) -> scalar tensor, optional
        Added to the cross-entropy of every batch (e.g. ``alpha * regularizer``).
    batch_transform : callable(model, x, y) -> (x, y), optional
        Replaces each batch before the step (adversarial or boundary samples).
    after_step : callable(model), optional
        Called after every optimizer step (e.g. projection of parameters).
    epoch_end : callable(model, epoch) -> bool, optional
        Called after every epoch; returning True rebuilds the optimizer (parameter shapes
        changed, e.g. after BSQ's precision adjustment).
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    X, y = _as_tensors(data)
    gen = seed_everything(seed)

    def make_opt():
        group = list(params() if callable(params) else params or model.parameters())
        if optimizer == "adam":
            return torch.optim.Adam(group, lr=lr, weight_decay=weight_decay)
        return torch.optim.SGD(group, lr=lr, momentum=0.9, weight_decay=weight_decay)

    opt = make_opt()
    loss_fn = nn.CrossEntropyLoss()
    history = []
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        order = torch.randperm(X.shape[0], generator=gen)
        total, total_extra, correct = 0.0, 0.0, 0
        for start in range(0, X.shape[0], batch_size):
            idx = order[start : start + batch_size]
            xb, yb = X[idx], y[idx]
            if batch_transform is not None:
                xb, yb = batch_transform(model, xb, yb)
                model.train()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            extra = extra_loss(model) if extra_loss is not None else None
            opt.zero_grad()
            (loss + extra if extra is not None else loss).backward()
            opt.step()
            if after_step is not None:
                with torch.no_grad():
                    after_step(model)
            total += float(loss.detach()) * len(idx)
            total_extra += float(extra.detach()) * len(idx) if extra is not None else 0.0
            correct += int((logits.argmax(1) == yb).sum())
        row = {
            "epoch": epoch + 1,
            "loss": total / X.shape[0],
            "extra_loss": total_extra / X.shape[0],
            "train_accuracy": correct / X.shape[0],
        }
        history.append(row)
        bar.set_postfix(loss=f"{row['loss']:.3f}", acc=f"{row['train_accuracy']:.3f}")
        if epoch_end is not None and epoch_end(model, epoch + 1):
            opt = make_opt()
    return history


@torch.no_grad()
def predict_logits(model: nn.Module, X: np.ndarray | torch.Tensor, batch_size: int = 512):
    """Logits, shape ``(n_samples, n_classes)``, computed in eval mode without gradients."""
    model.eval()
    X = torch.as_tensor(np.asarray(X, dtype=np.float32)) if not torch.is_tensor(X) else X
    return torch.cat([model(X[i : i + batch_size]) for i in range(0, X.shape[0], batch_size)])


def evaluate(model: nn.Module, data: ImageDataset | tuple[np.ndarray, np.ndarray]) -> float:
    """Top-1 accuracy in [0, 1]."""
    X, y = _as_tensors(data)
    return float((predict_logits(model, X).argmax(1) == y).float().mean())


def provenance() -> dict:
    """Versions of the libraries a result depends on (for records and xarray attrs)."""
    import sklearn

    import mlcore

    out = {
        "python": platform.python_version(),
        "mlcore": mlcore.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "torch_threads": torch.get_num_threads(),
        "machine": platform.machine(),
    }
    try:
        import art

        out["adversarial-robustness-toolbox"] = art.__version__
    except ImportError:  # pragma: no cover - ART is in the ml extra
        pass
    return out
