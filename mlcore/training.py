"""Training and evaluation loops shared by every mlcore result, with explicit randomness.

:func:`fit` is a plain mini-batch loop with hooks: an extra loss term (e.g. BSQ's bit
regularizer), a batch transform (e.g. adversarial or boundary samples), and an after-step
callback (e.g. clamping bit planes to [0, 2]). It shows a tqdm progress bar and returns the
per-epoch history as data.

Randomness is a parameter: ``fit(..., seed=...)`` takes an int, a numpy ``SeedSequence`` or
``Generator`` (see :mod:`mlcore.rng`); the shuffling draws from a private
:class:`torch.Generator`, and anything inside the loop that draws from torch's global generator
(dropout, a batch transform) runs under :func:`mlcore.rng.global_rng_seeded`, which restores the
caller's global states afterwards. No function here reseeds a global generator for good.

Devices: the loops run where the model's parameters are. Move the model once (the runner does,
``model.to(device)``); :func:`fit` moves the training arrays there once, :func:`predict_logits`
moves each batch and returns logits on the CPU.
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
from .rng import RandomState, global_rng_seeded, seed_from

__all__ = [
    "seed_everything",
    "fit",
    "evaluate",
    "predict_logits",
    "model_device",
    "provenance",
]


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch's global generators; return a torch generator seeded with
    ``seed``.

    A convenience for user scripts only (like PyTorch Geometric's ``seed_everything``): no mlcore
    function calls it. Library code takes a ``seed`` / random state instead.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)  # noqa: NPY002  (a user-facing global seed)
    torch.manual_seed(int(seed))
    return torch.Generator().manual_seed(int(seed))


def model_device(model: nn.Module) -> torch.device:
    """The device of ``model``'s first parameter or buffer (CPU for a parameterless model)."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def _as_tensors(
    data: ImageDataset | tuple, device: torch.device | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    X, y = (data.X, data.y) if isinstance(data, ImageDataset) else data
    X = X if torch.is_tensor(X) else torch.as_tensor(np.asarray(X, dtype=np.float32))
    y = y if torch.is_tensor(y) else torch.as_tensor(np.asarray(y))
    if device is not None:
        X, y = X.to(device), y.to(device)
    return X, y


def _check_fit_args(epochs, lr, optimizer) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")


def fit(
    model: nn.Module,
    data: ImageDataset | tuple[np.ndarray, np.ndarray],
    *,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 128,
    seed: RandomState = 0,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    params: Iterable | Callable | None = None,
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
        Maps ``(batch, c, h, w)`` images to ``(batch, n_classes)`` logits. Training runs on the
        model's device (:func:`model_device`); the data are moved there once.
    data : ImageDataset or (X, y)
        Training samples (numpy arrays or tensors).
    epochs, lr, batch_size, weight_decay
        The usual; ``optimizer`` is ``"adam"`` or ``"sgd"`` (momentum 0.9).
    seed : int, numpy SeedSequence or Generator
        The random state of this call: it seeds the private shuffling generator, and the global
        generators inside the loop (restored afterwards, see :func:`mlcore.rng.global_rng_seeded`).
        The same seed, device and thread count give the same weights.
    params : iterable or callable returning one, optional
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

    Returns
    -------
    list of dict
        Per epoch: ``epoch``, mean ``loss`` (cross-entropy, nats), mean ``extra_loss`` and
        ``train_accuracy`` in [0, 1].
    """
    _check_fit_args(epochs, lr, optimizer)
    device = model_device(model)
    X, y = _as_tensors(data, device)
    seed_int = seed_from(seed)
    # the shuffling order comes from a CPU generator, so it is the same on every device
    order_gen = torch.Generator().manual_seed(seed_int)

    def make_opt():
        return _optimizer(model, params, optimizer, lr, weight_decay)

    loss_fn = nn.CrossEntropyLoss()
    step_hooks = (extra_loss, batch_transform, after_step)
    history = []
    with global_rng_seeded(seed_int):
        opt = make_opt()
        bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False)
        for epoch in bar:
            order = torch.randperm(X.shape[0], generator=order_gen).to(device)
            row = _epoch(model, X, y, order, batch_size, opt, loss_fn, *step_hooks)
            row["epoch"] = epoch + 1
            history.append(row)
            bar.set_postfix(loss=f"{row['loss']:.3f}", acc=f"{row['train_accuracy']:.3f}")
            if epoch_end is not None and epoch_end(model, epoch + 1):
                opt = make_opt()
    return history


def _optimizer(model, params, optimizer: str, lr: float, weight_decay: float):
    """A fresh optimizer over ``params`` (an iterable, a callable returning one, or None for
    all of ``model.parameters()``): Adam, or SGD with momentum 0.9."""
    group = list(params() if callable(params) else params or model.parameters())
    if optimizer == "adam":
        return torch.optim.Adam(group, lr=lr, weight_decay=weight_decay)
    return torch.optim.SGD(group, lr=lr, momentum=0.9, weight_decay=weight_decay)


def _epoch(model, X, y, order, batch_size, opt, loss_fn, extra_loss, batch_transform, after_step):
    """One pass over ``X[order]``; returns the epoch's mean loss, extra loss and accuracy."""
    model.train()
    total = X.new_zeros(())
    total_extra = X.new_zeros(())
    correct = torch.zeros((), dtype=torch.int64, device=X.device)
    for start in range(0, X.shape[0], batch_size):
        idx = order[start : start + batch_size]
        xb, yb = X[idx], y[idx]
        if batch_transform is not None:
            xb, yb = batch_transform(model, xb, yb)
            xb, yb = xb.to(X.device), yb.to(X.device)
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
        # accumulated on the device: no host synchronisation per batch
        total += loss.detach() * len(idx)
        if extra is not None:
            total_extra += extra.detach() * len(idx)
        correct += (logits.detach().argmax(1) == yb).sum()
    n = X.shape[0]
    return {
        "loss": float(total) / n,
        "extra_loss": float(total_extra) / n,
        "train_accuracy": int(correct) / n,
    }


@torch.no_grad()
def predict_logits(
    model: nn.Module, X: np.ndarray | torch.Tensor, batch_size: int = 512
) -> torch.Tensor:
    """Logits, shape ``(n_samples, n_classes)``, on the CPU, computed on the model's device in
    eval mode without gradients. The model's train/eval mode is restored afterwards."""
    was_training = model.training
    model.eval()
    device = model_device(model)
    X = torch.as_tensor(np.asarray(X, dtype=np.float32)) if not torch.is_tensor(X) else X
    try:
        return torch.cat(
            [
                model(X[i : i + batch_size].to(device)).cpu()
                for i in range(0, X.shape[0], batch_size)
            ]
        )
    finally:
        model.train(was_training)


def evaluate(model: nn.Module, data: ImageDataset | tuple[np.ndarray, np.ndarray]) -> float:
    """Top-1 accuracy in [0, 1] (on the model's device)."""
    X, y = _as_tensors(data)
    return float((predict_logits(model, X).argmax(1) == y).float().mean())


def provenance() -> dict:
    """Versions of the libraries a result depends on, the torch thread count and the machine
    (for records and xarray attrs). Versions come from the package metadata: nothing is
    imported (importing ART draws from Python's global ``random`` generator)."""
    from importlib import metadata

    import mlcore

    out = {
        "python": platform.python_version(),
        "mlcore": mlcore.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "torch_threads": torch.get_num_threads(),
        "machine": platform.machine(),
    }
    for package in ("scikit-learn", "adversarial-robustness-toolbox", "matplotlib"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:  # pragma: no cover - optional extras
            pass
    return out
