"""Federated clients: their data, their local training, and what they share.

A :class:`Client` is data indices plus a :class:`LocalTraining` recipe. Its update is a pure
function of the global weights and a :class:`ClientTask` (which client, which round, its seed,
how many local steps it has taken so far), so the in-process simulation
(:class:`~mlcore.federated.FedAvg`) and the Flower adapter (:mod:`mlcore.federated.flower`) run
the very same code and get the very same numbers.

The local loop is written here rather than reusing :func:`mlcore.training.fit` because a
federated client needs step-level control (a number of local steps that may end mid-epoch and
resume in the next round) and returns the change of its weights, not a trained model.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..params import Interval, Options, Params, parameter
from ..rng import global_rng_seeded, seed_from

__all__ = [
    "LocalTraining",
    "Client",
    "ClientTask",
    "ClientUpdate",
    "LocalContext",
    "BatchSchedule",
    "SHARE_KINDS",
    "local_update",
]

SHARE_KINDS = ("delta", "gradient")

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class LocalTraining(Params):
    """How a client trains locally in one round.

    At most one of ``local_epochs`` and ``local_steps`` is given; with neither, one local
    epoch. The optimizer is created afresh
    at the start of every round (FedAvg, McMahan et al. 2017, Algorithm 1), so momentum and Adam
    moments do not carry over between rounds.
    """

    local_epochs: int | None = parameter(
        None, Interval(int, 1, None), "passes over the client's data per round", optional=True
    )
    local_steps: int | None = parameter(
        None,
        Interval(int, 1, None),
        "optimizer steps per round (instead of local_epochs); may end mid-epoch",
        optional=True,
    )
    batch_size: int = parameter(32, Interval(int, 1, None), "mini-batch size", unit="samples")
    optimizer: str = parameter("sgd", Options("sgd", "adam"), "local optimizer")
    lr: float = parameter(0.05, Interval(float, 0, None, closed="neither"), "learning rate")
    momentum: float = parameter(
        0.0, Interval(float, 0, 1, closed="left"), "SGD momentum (ignored by adam)"
    )
    weight_decay: float = parameter(0.0, Interval(float, 0, None), "L2 weight decay")

    def __post_init__(self):
        super().__post_init__()
        if self.local_epochs is None and self.local_steps is None:
            object.__setattr__(self, "local_epochs", 1)
        elif self.local_epochs is not None and self.local_steps is not None:
            raise ValueError(
                "LocalTraining: set at most one of local_epochs and local_steps; got "
                f"local_epochs={self.local_epochs!r}, local_steps={self.local_steps!r}"
            )

    def steps_per_round(self, n_samples: int) -> int:
        """Optimizer steps one round takes on ``n_samples`` samples."""
        if self.local_steps is not None:
            return self.local_steps
        return self.local_epochs * math.ceil(n_samples / self.batch_size)

    def make_optimizer(self, params) -> torch.optim.Optimizer:
        """A fresh optimizer over ``params``."""
        if self.optimizer == "adam":
            return torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        return torch.optim.SGD(
            params, lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay
        )


@dataclass(frozen=True, eq=False)
class Client:
    """One client: the indices of its samples in the federation's data set and its recipe.

    Parameters
    ----------
    indices : array_like of int
        Sample indices (e.g. one entry of a :class:`mlcore.partition.Partition`); non-empty.
    training : LocalTraining
        Local epochs or steps, optimizer, learning rate, batch size.
    """

    indices: np.ndarray
    training: LocalTraining = dataclasses.field(default_factory=LocalTraining)

    def __post_init__(self):
        index = np.asarray(self.indices)
        if index.ndim != 1 or index.size == 0 or not np.issubdtype(index.dtype, np.integer):
            raise ValueError(
                "Client.indices must be a non-empty 1-D array of integer sample indices; got "
                f"{index.dtype} array of shape {index.shape}"
            )
        if not isinstance(self.training, LocalTraining):
            raise ValueError(
                f"Client.training must be a LocalTraining; got {type(self.training).__name__}"
            )
        object.__setattr__(self, "indices", index.astype(np.int64))

    @property
    def n_samples(self) -> int:
        return int(self.indices.size)


@dataclass(frozen=True)
class BatchSchedule:
    """The client's mini-batches, as a pure function of the global local-step count.

    Epoch ``e`` visits the client's samples in the order ``torch.randperm(n)`` drawn from a
    ``torch.Generator`` seeded with the child of ``seed`` with spawn key ``(0, e)``; batch
    ``b`` of the epoch is positions ``b B .. (b + 1) B - 1`` of that order (the last batch may
    be short). Step ``t`` is batch ``t mod S`` of epoch ``t // S`` with ``S = ceil(n / B)``.
    """

    n_samples: int
    batch_size: int
    seed: int

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n_samples / self.batch_size)

    def epoch_order(self, epoch: int) -> torch.Tensor:
        """The permutation of ``range(n_samples)`` used in ``epoch`` (int64, CPU)."""
        epoch_seed = seed_from(np.random.SeedSequence(self.seed, spawn_key=(0, epoch)))
        generator = torch.Generator().manual_seed(epoch_seed)
        return torch.randperm(self.n_samples, generator=generator)

    def batches(self, start: int, n_steps: int) -> Iterator[torch.Tensor]:
        """Positions (into the client's indices) of steps ``start .. start + n_steps - 1``."""
        epoch, order = None, None
        for step in range(start, start + n_steps):
            e, b = divmod(step, self.steps_per_epoch)
            if e != epoch:
                epoch, order = e, self.epoch_order(e)
            yield order[b * self.batch_size : (b + 1) * self.batch_size]


@dataclass(frozen=True)
class ClientTask:
    """What the server tells a sampled client: who it is, which round, its seeds and where its
    batch schedule resumes. ``seed`` drives the batch order; ``round_seed`` the client's
    transform and any global-generator draw inside the model (dropout)."""

    client: int
    round: int
    seed: int
    round_seed: int
    step_offset: int


@dataclass(frozen=True, eq=False)
class LocalContext:
    """What only the client knows when it shares an update: the data behind it and the model
    it started from. Client-update transforms that need the data (Soteria's representation
    scores, per-sample clipping for differential privacy) read it here; it never leaves the
    client (the simulation drops it before aggregation).

    Attributes
    ----------
    model : torch.nn.Module
        A private copy of the global model the round started from, in training mode; a
        transform may use it (e.g. for gradients with respect to the inputs) but must not rely
        on its ``.grad`` fields.
    X, y : torch.Tensor
        ``"gradient"`` shares: the mini-batch whose gradient is shared. ``"delta"`` shares: all
        of the client's samples.
    loss_fn : callable
        ``loss_fn(logits, targets)``, the client's training loss.
    """

    model: nn.Module
    X: torch.Tensor
    y: torch.Tensor
    loss_fn: LossFn


@dataclass(frozen=True, eq=False)
class ClientUpdate:
    """Exactly what one client shares with the server in one round.

    Attributes
    ----------
    client : int
        The client's index.
    n_samples : int
        Its number of training samples (the FedAvg weight).
    kind : str
        ``"delta"``: ``tensors`` are ``w_local - w_global`` for every floating-point entry of
        the model's ``state_dict`` (FedAvg). ``"gradient"``: ``tensors`` are the gradient of the
        loss on one mini-batch at ``w_global``, per parameter (FedSGD).
    tensors : dict of str to torch.Tensor
        float64, on the simulation's device, keyed like the ``state_dict``. Float64 so that the
        difference of two float32 weights is exact and one client with full participation
        reproduces centralized training bit for bit.
    loss : float
        Mean training loss over the local steps.
    context : LocalContext or None
        The client's private data and starting model, for transforms; ``None`` once the update
        has left the client.
    """

    client: int
    n_samples: int
    kind: str
    tensors: dict[str, torch.Tensor]
    loss: float
    context: LocalContext | None = dataclasses.field(default=None, repr=False)

    def replace(self, **changes) -> ClientUpdate:
        """A copy with ``changes`` (e.g. ``tensors=...``): what a transform returns."""
        return dataclasses.replace(self, **changes)


def shared_keys(model: nn.Module, kind: str) -> list[str]:
    """The ``state_dict`` keys a client shares: floating-point entries for ``"delta"``,
    trainable parameters for ``"gradient"``."""
    if kind == "gradient":
        return [name for name, p in model.named_parameters() if p.requires_grad]
    return [k for k, v in model.state_dict().items() if torch.is_floating_point(v)]


def _train_steps(model, training, batches, X, y, loss_fn) -> float:
    optimizer = training.make_optimizer([p for p in model.parameters() if p.requires_grad])
    total, count = 0.0, 0
    for position in batches:
        loss = loss_fn(model(X[position]), y[position])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += float(loss.detach())
        count += 1
    return total / count


def _batch_gradient(model, position, X, y, loss_fn) -> tuple[dict[str, torch.Tensor], float]:
    model.zero_grad(set_to_none=True)
    loss = loss_fn(model(X[position]), y[position])
    loss.backward()
    grads = {
        name: p.grad.detach().double().clone()
        for name, p in model.named_parameters()
        if p.requires_grad
    }
    return grads, float(loss.detach())


def local_update(
    client: Client,
    task: ClientTask,
    global_model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    kind: str = "delta",
    loss_fn: LossFn | None = None,
) -> ClientUpdate:
    """Run one round of local training for ``client`` and return what it shares.

    Parameters
    ----------
    client : Client
        The client (indices into ``X``, ``y`` and recipe).
    task : ClientTask
        Round, seeds and batch-schedule offset from the server.
    global_model : torch.nn.Module
        The current global model (not modified; a copy is trained).
    X, y : torch.Tensor
        The federation's whole data set, already on the target device, shapes
        ``(n_samples, ...)`` and ``(n_samples,)``.
    kind : {"delta", "gradient"}
        What the client shares (see :class:`ClientUpdate`); ``"gradient"`` takes one step.
    loss_fn : callable, optional
        ``loss_fn(logits, targets)``; cross-entropy by default.

    Notes
    -----
    Any draw from a global generator inside the model (dropout) happens under
    :func:`mlcore.rng.global_rng_seeded` with ``task.round_seed``, so it is reproducible and
    the caller's global generators are restored afterwards.
    """
    loss_fn = loss_fn if loss_fn is not None else nn.functional.cross_entropy
    training = client.training
    n_steps = 1 if kind == "gradient" else training.steps_per_round(client.n_samples)
    schedule = BatchSchedule(client.n_samples, training.batch_size, task.seed)
    device = X.device
    index = torch.as_tensor(client.indices, device=device)
    batches = (index[p.to(device)] for p in schedule.batches(task.step_offset, n_steps))
    model = copy.deepcopy(global_model)
    model.train()
    with global_rng_seeded(task.round_seed):
        if kind == "gradient":
            (position,) = list(batches)
            tensors, loss = _batch_gradient(model, position, X, y, loss_fn)
            context = LocalContext(model, X[position], y[position], loss_fn)
        else:
            context = LocalContext(copy.deepcopy(model), X[index], y[index], loss_fn)
            loss = _train_steps(model, training, batches, X, y, loss_fn)
            start, end = global_model.state_dict(), model.state_dict()
            tensors = {
                k: end[k].detach().double() - start[k].detach().double()
                for k in shared_keys(global_model, kind)
            }
    return ClientUpdate(task.client, client.n_samples, kind, tensors, loss, context)
