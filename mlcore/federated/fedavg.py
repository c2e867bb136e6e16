"""FedAvg as a solver: ``FedAvg(...).start(model)``, ``.step()`` (one round), ``.run(n)``.

One round (McMahan et al. 2017, arXiv:1602.05629, Algorithm 1): sample ``m`` of the ``K``
clients; each runs its local training from the global weights ``w`` and shares an update
``t_k`` (the weight change, or one mini-batch gradient); the client-update transform acts on
each share; the aggregation rule combines them into ``a``; the server moves
``w <- w + eta a`` (``share="delta"``) or ``w <- w - eta a`` (``share="gradient"``) with server
step ``eta`` (1 by default, which is plain FedAvg: ``w <- sum_k (n_k / N) w_k``).

The solver shape follows QuTiP's ``Solver.start`` / ``step`` / ``run``
(``qutip/solver/solver_base.py``). Randomness comes from one ``random_state``: named child
streams (:class:`mlcore.rng.SeedStreams`) drive client sampling and each client's batch order,
transform noise and dropout; they are listed in :attr:`FedAvg.seeds` for the run record. No
global generator of the caller is changed.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..device import resolve_device
from ..params import Interval, Options, Params, parameter
from ..rng import RandomState, SeedStreams, seed_from
from .aggregation import AggregationRule, WeightedMean
from .client import SHARE_KINDS, Client, ClientTask, ClientUpdate, LossFn, local_update
from .transforms import UpdateTransform, check_transformed

__all__ = [
    "FedAvgOptions",
    "RoundRecord",
    "FedAvgResult",
    "FedAvg",
    "apply_aggregate",
    "shared_update",
]


@dataclass(frozen=True)
class FedAvgOptions(Params):
    """Server-side options of :class:`FedAvg`."""

    fraction: float = parameter(
        1.0,
        Interval(float, 0, 1, closed="right"),
        "fraction C of clients sampled per round: m = max(floor(C K), 1)",
    )
    clients_per_round: int | None = parameter(
        None,
        Interval(int, 1, None),
        "clients sampled per round (overrides fraction)",
        optional=True,
    )
    share: str = parameter("delta", Options(*SHARE_KINDS), "what a client shares")
    server_lr: float = parameter(
        1.0, Interval(float, 0, None, closed="neither"), "server step eta on the aggregate"
    )


@dataclass(frozen=True)
class RoundRecord:
    """One FedAvg round.

    Attributes
    ----------
    round : int
        1-based round number.
    clients : tuple of int
        The sampled clients, ascending.
    n_samples : tuple of int
        Their sample counts.
    losses : tuple of float
        Their mean local training losses.
    mean_loss : float
        Sample-weighted mean of ``losses``.
    update_norm : float
        L2 norm of the aggregate over all shared tensors.
    wall_time_s : float
        Wall time of the round, seconds.
    """

    round: int
    clients: tuple[int, ...]
    n_samples: tuple[int, ...]
    losses: tuple[float, ...]
    mean_loss: float
    update_norm: float
    wall_time_s: float

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class FedAvgResult:
    """Rounds run, the global model after them (a copy), the seeds used, the device and the
    server options."""

    rounds: tuple[RoundRecord, ...]
    model: nn.Module
    seeds: dict[str, int]
    device: str
    options: dict

    def mean_losses(self) -> np.ndarray:
        """Sample-weighted mean training loss per round, shape ``(n_rounds,)``."""
        return np.array([r.mean_loss for r in self.rounds])


def apply_aggregate(
    state: Mapping[str, torch.Tensor],
    aggregate: Mapping[str, torch.Tensor],
    kind: str,
    server_lr: float,
) -> dict[str, torch.Tensor]:
    """The new global ``state_dict``: ``w + eta a`` for deltas, ``w - eta a`` for gradients,
    computed in float64 and cast back to each entry's dtype; entries not in ``aggregate``
    (integer buffers) are kept."""
    step = server_lr if kind == "delta" else -server_lr
    new = dict(state)
    for key, value in aggregate.items():
        new[key] = (state[key].double() + step * value).to(state[key].dtype)
    return new


def shared_update(
    client: Client,
    task: ClientTask,
    global_model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    kind: str,
    loss_fn: LossFn | None,
    transform: UpdateTransform | None,
) -> ClientUpdate:
    """:func:`~mlcore.federated.client.local_update` followed by the client-update transform,
    whose ``torch.Generator`` is seeded from ``task.round_seed``: what leaves the client (its
    private :class:`~mlcore.federated.client.LocalContext` removed)."""
    update = local_update(client, task, global_model, X, y, kind=kind, loss_fn=loss_fn)
    if transform is not None:
        seed = seed_from(np.random.SeedSequence(task.round_seed, spawn_key=(2,)))
        generator = torch.Generator().manual_seed(seed)
        update = check_transformed(update, transform(update, generator), transform)
    return update.replace(context=None)


def _as_tensor(name: str, value) -> torch.Tensor:
    tensor = value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
    if tensor.ndim == 0 or tensor.shape[0] == 0:
        raise ValueError(
            f"FedAvg.{name} must have at least one sample; got shape {tuple(tensor.shape)}"
        )
    return tensor


class FedAvg:
    """Federated averaging over in-process clients.

    Parameters
    ----------
    clients : sequence of Client
        The ``K`` clients; their indices point into ``X`` and ``y``.
    X, y : array_like or torch.Tensor
        The federation's data, shapes ``(n_samples, ...)`` and ``(n_samples,)``.
    options : FedAvgOptions or mapping, optional
        Sampling, what clients share, server step (unknown keys are refused).
    transform : callable, optional
        Client-update transform ``(ClientUpdate, torch.Generator) -> ClientUpdate`` applied to
        every share before it leaves the client (see :mod:`mlcore.federated.transforms`).
    aggregator : callable, optional
        Aggregation rule ``(updates) -> tensors``; :class:`WeightedMean` by default.
    loss_fn : callable, optional
        ``loss_fn(logits, targets)``; cross-entropy by default.
    device : str or torch.device
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (:func:`mlcore.device.resolve_device`).
    random_state : int, numpy.random.Generator or numpy.random.SeedSequence
        Root of every random draw of the simulation.
    progress : bool
        Show a tqdm bar in :meth:`run`.

    Examples
    --------
    >>> sim = FedAvg(clients, data.X, data.y, options={"fraction": 0.5}, random_state=0)
    >>> sim.start(model)
    >>> record = sim.step()              # one round
    >>> result = sim.run(10)             # ten more
    """

    def __init__(
        self,
        clients: Sequence[Client],
        X,
        y,
        *,
        options: FedAvgOptions | Mapping | None = None,
        transform: UpdateTransform | None = None,
        aggregator: AggregationRule | None = None,
        loss_fn: LossFn | None = None,
        device: str | torch.device = "cpu",
        random_state: RandomState = 0,
        progress: bool = True,
    ):
        if isinstance(options, FedAvgOptions):
            self.options = options
        else:
            self.options = FedAvgOptions.from_dict(dict(options or {}))
        self.clients = list(clients)
        self.X, self.y = _as_tensor("X", X), _as_tensor("y", y)
        self._check_clients()
        for name, fn in (("transform", transform), ("aggregator", aggregator)):
            if fn is not None and not callable(fn):
                raise ValueError(f"FedAvg.{name} must be callable or None; got {fn!r}")
        self.transform = transform
        self.aggregator = aggregator if aggregator is not None else WeightedMean()
        self.loss_fn = loss_fn
        self.device = resolve_device(device)
        self.random_state = random_state
        self.progress = progress
        self._model: nn.Module | None = None

    def _check_clients(self) -> None:
        if not self.clients or not all(isinstance(c, Client) for c in self.clients):
            raise ValueError("FedAvg.clients must be a non-empty sequence of Client objects")
        if self.X.shape[0] != self.y.shape[0]:
            raise ValueError(
                f"FedAvg.X and y must have the same number of samples; got {self.X.shape[0]} "
                f"and {self.y.shape[0]}"
            )
        n = self.X.shape[0]
        for k, c in enumerate(self.clients):
            if c.indices.min() < 0 or c.indices.max() >= n:
                raise ValueError(
                    f"FedAvg.clients[{k}].indices must lie in [0, {n - 1}] (the samples of X)"
                )
            if self.options.share == "gradient" and c.training.local_steps != 1:
                raise ValueError(
                    f"FedAvg: share='gradient' shares one mini-batch gradient, so "
                    f"clients[{k}].training.local_steps must be 1; got local_steps="
                    f"{c.training.local_steps}, local_epochs={c.training.local_epochs}"
                )
        m = self.options.clients_per_round
        if m is not None and m > len(self.clients):
            raise ValueError(
                f"FedAvgOptions.clients_per_round must be an integer in [1, "
                f"{len(self.clients)}] (the number of clients); got {m}"
            )

    # -- solver interface ---------------------------------------------------------------
    def start(self, global_model: nn.Module) -> None:
        """Begin a simulation from (a copy of) ``global_model``; resets rounds and seeds."""
        if not isinstance(global_model, nn.Module):
            raise ValueError(f"global_model must be a torch.nn.Module; got {type(global_model)}")
        self._model = copy.deepcopy(global_model).to(self.device)
        self._X, self._y = self.X.to(self.device), self.y.to(self.device)
        self._root = seed_from(self.random_state)
        streams = SeedStreams(self._root)
        self._sampler = streams.numpy("sampling")
        self._client_seeds = [streams.seed(f"client{k}") for k in range(len(self.clients))]
        self._seeds = {"root": self._root, **streams.derived()}
        self._steps_done = [0] * len(self.clients)
        self._rounds: list[RoundRecord] = []

    def step(self) -> RoundRecord:
        """Run one round and return its record."""
        t0 = time.perf_counter()
        tasks = self.plan_round()
        updates = [self.client_update(task, self._model) for task in tasks]
        aggregate = self.aggregate(updates)
        self._model.load_state_dict(
            apply_aggregate(
                self._model.state_dict(), aggregate, self.options.share, self.options.server_lr
            )
        )
        return self.record_round(updates, aggregate, time.perf_counter() - t0)

    def run(self, n_rounds: int, global_model: nn.Module | None = None) -> FedAvgResult:
        """Run ``n_rounds`` rounds (after :meth:`start` with ``global_model`` when given)."""
        if isinstance(n_rounds, bool) or not isinstance(n_rounds, int) or n_rounds < 1:
            raise ValueError(f"FedAvg.run: n_rounds must be an integer >= 1; got {n_rounds!r}")
        if global_model is not None:
            self.start(global_model)
        self._require_started()
        bar = tqdm(range(n_rounds), desc="FedAvg rounds", disable=not self.progress)
        for _ in bar:
            record = self.step()
            bar.set_postfix(loss=f"{record.mean_loss:.4f}")
        return self.result()

    def result(self) -> FedAvgResult:
        """The rounds so far and a copy of the current global model."""
        self._require_started()
        return FedAvgResult(
            tuple(self._rounds),
            copy.deepcopy(self._model),
            dict(self._seeds),
            str(self.device),
            self.options.to_dict(),
        )

    @property
    def global_model(self) -> nn.Module:
        self._require_started()
        return self._model

    @property
    def seeds(self) -> dict[str, int]:
        """The root seed and every derived child seed, for the run record."""
        self._require_started()
        return dict(self._seeds)

    # -- pieces shared with the Flower adapter -------------------------------------------
    def n_sampled(self) -> int:
        """Clients per round: ``clients_per_round``, else ``max(floor(C K), 1)``."""
        if self.options.clients_per_round is not None:
            return self.options.clients_per_round
        return max(math.floor(self.options.fraction * len(self.clients) + 1e-9), 1)

    def plan_round(self) -> list[ClientTask]:
        """Sample this round's clients (seeded) and hand each its task."""
        self._require_started()
        round_number = len(self._rounds) + 1
        chosen = self._sampler.choice(len(self.clients), size=self.n_sampled(), replace=False)
        tasks = []
        for k in sorted(int(c) for c in chosen):
            seed = self._client_seeds[k]
            round_seed = seed_from(np.random.SeedSequence(seed, spawn_key=(1, round_number)))
            tasks.append(ClientTask(k, round_number, seed, round_seed, self._steps_done[k]))
            client = self.clients[k]
            n_steps = 1 if self.options.share == "gradient" else None
            self._steps_done[k] += n_steps or client.training.steps_per_round(client.n_samples)
        return tasks

    def client_update(self, task: ClientTask, global_model: nn.Module) -> ClientUpdate:
        """Client ``task.client``'s share after local training and the transform."""
        return shared_update(
            self.clients[task.client],
            task,
            global_model,
            self._X,
            self._y,
            kind=self.options.share,
            loss_fn=self.loss_fn,
            transform=self.transform,
        )

    def aggregate(self, updates: Sequence[ClientUpdate]) -> dict[str, torch.Tensor]:
        """The aggregation rule applied to ``updates``, checked for its keys."""
        aggregate = self.aggregator(updates)
        if not isinstance(aggregate, Mapping) or aggregate.keys() != updates[0].tensors.keys():
            raise ValueError(
                f"aggregator {self.aggregator!r} must return a dict with the shared keys"
            )
        return dict(aggregate)

    def record_round(
        self, updates: Sequence[ClientUpdate], aggregate: Mapping, wall_time_s: float
    ) -> RoundRecord:
        """Append and return the record of the round just applied."""
        sizes = tuple(u.n_samples for u in updates)
        losses = tuple(float(u.loss) for u in updates)
        norm = math.sqrt(sum(float((v.double() ** 2).sum()) for v in aggregate.values()))
        record = RoundRecord(
            len(self._rounds) + 1,
            tuple(u.client for u in updates),
            sizes,
            losses,
            float(np.dot(sizes, losses) / sum(sizes)),
            norm,
            wall_time_s,
        )
        self._rounds.append(record)
        return record

    def _require_started(self) -> None:
        if self._model is None:
            raise RuntimeError("FedAvg: call start(global_model) before step(), run() or result()")
