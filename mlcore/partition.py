"""Partitions of a labelled data set among clients, for federated and multi-party results.

Every scheme takes an integer label array (image labels, graph node labels: any labelled data
set), the number of clients and a ``random_state``, and returns a :class:`Partition`: one sorted
index array per client. Randomness comes only from ``random_state`` (an int seed, a numpy
``Generator`` or a ``SeedSequence``), so the same seed gives the same partition.

Schemes
-------
:func:`iid_partition`
    A uniform random split; client sizes differ by at most one.
:func:`dirichlet_partition`
    Label skew (Hsu, Qi & Brown 2019, arXiv:1909.06335, Sec. 3): for every class ``c`` the
    shares of the ``K`` clients are drawn from ``Dir(alpha * 1_K)`` and the class's samples are
    cut accordingly. Small ``alpha`` gives each client few classes, large ``alpha`` tends to IID.
:func:`shard_partition`
    ``k`` classes per client (the "pathological non-IID" split of McMahan et al. 2017,
    arXiv:1602.05629, Sec. 3). McMahan et al. sort by label and cut equal shards, so a shard
    can straddle two classes; here each client gets exactly ``k`` classes and each class's
    samples are split evenly among the clients holding it.
:func:`disjoint_class_partition`
    Disjoint class sets: no label is held by two clients.

Coverage: every scheme puts every sample in exactly one client, except
:func:`disjoint_class_partition` with ``classes_per_client`` set, which leaves the samples of
the classes no client received in :attr:`Partition.unassigned`. In every case the client index
arrays and ``unassigned`` are disjoint and together hold every index exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import Instance, Interval
from .params import check_argument as _check
from .rng import RandomState, as_generator

__all__ = [
    "Partition",
    "iid_partition",
    "dirichlet_partition",
    "shard_partition",
    "disjoint_class_partition",
]

_MAX_DIRICHLET_DRAWS = 1000


@dataclass(frozen=True, eq=False)
class Partition:
    """Index arrays, one per client, into a labelled data set.

    Attributes
    ----------
    indices : tuple of numpy.ndarray
        ``indices[k]`` holds the (sorted, int64) sample indices of client ``k``.
    label_counts : numpy.ndarray
        int64, shape ``(n_clients, n_classes)``: samples of each class held by each client,
        with ``n_classes = labels.max() + 1``.
    unassigned : numpy.ndarray
        Sorted int64 indices held by no client (empty unless the scheme leaves classes out).
    scheme : str
        The scheme's name, e.g. ``"dirichlet"``.
    params : dict
        The scheme's parameters (e.g. ``{"alpha": 0.5}``), for run records.
    """

    indices: tuple[np.ndarray, ...]
    label_counts: np.ndarray
    unassigned: np.ndarray
    scheme: str
    params: dict

    @property
    def n_clients(self) -> int:
        return len(self.indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, client: int) -> np.ndarray:
        return self.indices[client]

    def __iter__(self):
        return iter(self.indices)

    def sizes(self) -> np.ndarray:
        """Samples per client, int64, shape ``(n_clients,)``."""
        return np.array([idx.size for idx in self.indices], dtype=np.int64)

    def label_histogram(self, *, normalize: bool = False) -> np.ndarray:
        """Per-client label histogram, shape ``(n_clients, n_classes)``: counts, or with
        ``normalize=True`` each client's label distribution (rows sum to 1; an empty client's
        row is all zeros)."""
        if not normalize:
            return self.label_counts.copy()
        totals = self.label_counts.sum(axis=1, keepdims=True)
        return np.divide(
            self.label_counts,
            totals,
            out=np.zeros(self.label_counts.shape, dtype=np.float64),
            where=totals > 0,
        )

    def describe(self) -> dict:
        """JSON-ready summary for a run record: scheme, parameters, client sizes, number of
        unassigned samples and per-client label counts (the indices follow from the seed)."""
        return {
            "scheme": self.scheme,
            "params": dict(self.params),
            "sizes": self.sizes().tolist(),
            "n_unassigned": int(self.unassigned.size),
            "label_counts": self.label_counts.tolist(),
        }

    def classes(self, client: int) -> np.ndarray:
        """The labels client ``client`` holds at least one sample of."""
        return np.flatnonzero(self.label_counts[client])


def _check_labels(owner: str, labels) -> np.ndarray:
    array = np.asarray(labels)
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"{owner}.labels must be a non-empty 1-D array of integer labels; got "
            f"{array.dtype} array of shape {array.shape}"
        )
    if array.min() < 0:
        raise ValueError(f"{owner}.labels must be >= 0; got minimum {int(array.min())}")
    return array.astype(np.int64, copy=False)


def _check_common(owner: str, labels, n_clients: int, random_state) -> np.ndarray:
    y = _check_labels(owner, labels)
    _check(owner, "n_clients", n_clients, Interval(int, 1, y.size))
    _check(
        owner,
        "random_state",
        random_state,
        Instance((int, np.integer, np.random.Generator, np.random.SeedSequence)),
    )
    return y


def _finish(
    y: np.ndarray, parts: list[np.ndarray], scheme: str, params: dict, unassigned=None
) -> Partition:
    n_classes = int(y.max()) + 1
    indices = tuple(np.sort(np.asarray(p, dtype=np.int64)) for p in parts)
    counts = np.stack([np.bincount(y[idx], minlength=n_classes) for idx in indices])
    rest = np.sort(np.asarray([] if unassigned is None else unassigned, dtype=np.int64))
    return Partition(indices, counts.astype(np.int64), rest, scheme, dict(params))


def iid_partition(labels, n_clients: int, *, random_state: RandomState = 0) -> Partition:
    """A uniform random split into ``n_clients`` parts whose sizes differ by at most one.

    Parameters
    ----------
    labels : array_like of int, shape ``(n_samples,)``
        Class labels (only their number matters here; they fill ``label_counts``).
    n_clients : int
        Number of clients, ``1 <= n_clients <= n_samples``.
    random_state : int, numpy.random.Generator or numpy.random.SeedSequence
        Source of the random permutation.
    """
    y = _check_common("iid_partition", labels, n_clients, random_state)
    order = as_generator(random_state).permutation(y.size)
    return _finish(y, np.array_split(order, n_clients), "iid", {})


def _dirichlet_draw(y, classes, n_clients, alpha, rng) -> list[np.ndarray]:
    parts: list[list[np.ndarray]] = [[] for _ in range(n_clients)]
    for c in classes:
        members = rng.permutation(np.flatnonzero(y == c))
        shares = rng.dirichlet(np.full(n_clients, alpha))
        cuts = np.round(np.cumsum(shares)[:-1] * members.size).astype(np.int64)
        for k, chunk in enumerate(np.split(members, cuts)):
            parts[k].append(chunk)
    return [np.concatenate(p) for p in parts]


def dirichlet_partition(
    labels,
    n_clients: int,
    *,
    alpha: float,
    min_samples: int = 1,
    random_state: RandomState = 0,
) -> Partition:
    """Dirichlet label skew (Hsu, Qi & Brown 2019, arXiv:1909.06335).

    For each class ``c`` the client shares ``q_c ~ Dir(alpha * 1_K)`` are drawn and the class's
    shuffled samples are cut at ``round(cumsum(q_c) * n_c)``, so every sample goes to exactly
    one client. As ``alpha -> 0`` each class lands on one client; as ``alpha -> inf`` every
    client gets each class in proportion ``1 / K`` (IID).

    Parameters
    ----------
    labels : array_like of int, shape ``(n_samples,)``
        Class labels.
    n_clients : int
        Number of clients ``K``, ``1 <= K <= n_samples``.
    alpha : float
        Dirichlet concentration, ``> 0``.
    min_samples : int
        Every client must get at least this many samples; a draw that violates it is redrawn
        (at most 1000 times, then ``ValueError``). ``0`` accepts every draw.
    random_state : int, numpy.random.Generator or numpy.random.SeedSequence
        Source of the shuffles and the Dirichlet draws.

    Raises
    ------
    ValueError
        A parameter out of range, or no draw met ``min_samples``.
    """
    owner = "dirichlet_partition"
    y = _check_common(owner, labels, n_clients, random_state)
    _check(owner, "alpha", alpha, Interval(float, 0, None, closed="neither"))
    _check(owner, "min_samples", min_samples, Interval(int, 0, y.size // n_clients))
    rng = as_generator(random_state)
    classes = np.unique(y)
    for _ in range(_MAX_DIRICHLET_DRAWS):
        parts = _dirichlet_draw(y, classes, n_clients, float(alpha), rng)
        if min(p.size for p in parts) >= min_samples:
            params = {"alpha": float(alpha), "min_samples": int(min_samples)}
            return _finish(y, parts, "dirichlet", params)
    raise ValueError(
        f"{owner}: no Dirichlet draw in {_MAX_DIRICHLET_DRAWS} gave every one of "
        f"{n_clients} clients min_samples={min_samples} samples at alpha={alpha}; "
        "raise alpha, lower min_samples or use fewer clients"
    )


def shard_partition(
    labels,
    n_clients: int,
    *,
    classes_per_client: int = 2,
    random_state: RandomState = 0,
) -> Partition:
    """Exactly ``classes_per_client`` classes per client, every sample used once.

    The present classes are put in a random order ``o``; client ``i`` holds the classes
    ``o[(i k + j) mod C]``, ``j = 0 .. k - 1`` (``k`` distinct classes, every class held by
    ``floor(K k / C)`` or ``ceil(K k / C)`` clients), and each class's shuffled samples are
    split evenly among the clients holding it.

    Parameters
    ----------
    labels : array_like of int, shape ``(n_samples,)``
        Class labels; ``C`` is the number of distinct labels present.
    n_clients : int
        Number of clients ``K``; ``K k >= C`` so that every class has a holder.
    classes_per_client : int
        ``k``, with ``1 <= k <= C``.
    random_state : int, numpy.random.Generator or numpy.random.SeedSequence
        Source of the class order and the shuffles.

    Raises
    ------
    ValueError
        A parameter out of range, ``K k < C``, or a class with fewer samples than holders.
    """
    owner = "shard_partition"
    y = _check_common(owner, labels, n_clients, random_state)
    classes = np.unique(y)
    n_cls = classes.size
    _check(owner, "classes_per_client", classes_per_client, Interval(int, 1, n_cls))
    k = int(classes_per_client)
    if n_clients * k < n_cls:
        raise ValueError(
            f"{owner}.n_clients * classes_per_client must be >= {n_cls} (the number of "
            f"classes) to cover every sample; got {n_clients} * {k} = {n_clients * k}"
        )
    rng = as_generator(random_state)
    order = rng.permutation(classes)
    holders: dict[int, list[int]] = {int(c): [] for c in classes}
    for i in range(n_clients):
        for j in range(k):
            holders[int(order[(i * k + j) % n_cls])].append(i)
    parts: list[list[np.ndarray]] = [[] for _ in range(n_clients)]
    for c in classes:
        members = rng.permutation(np.flatnonzero(y == c))
        owners = holders[int(c)]
        if members.size < len(owners):
            raise ValueError(
                f"{owner}: class {int(c)} has {members.size} samples for {len(owners)} "
                "clients holding it; lower n_clients or classes_per_client"
            )
        for client, chunk in zip(owners, np.array_split(members, len(owners))):
            parts[client].append(chunk)
    return _finish(y, [np.concatenate(p) for p in parts], "shard", {"classes_per_client": k})


def disjoint_class_partition(
    labels,
    n_clients: int,
    *,
    classes_per_client: int | None = None,
    random_state: RandomState = 0,
) -> Partition:
    """Disjoint class sets: each client holds every sample of its own classes.

    The present classes are shuffled and dealt out: with ``classes_per_client=None`` all ``C``
    classes are split into ``n_clients`` groups whose sizes differ by at most one, so every
    sample is covered; with ``classes_per_client=k`` each client gets ``k`` classes and the
    samples of the ``C - K k`` classes left over are in :attr:`Partition.unassigned` (e.g. a
    held-out label set for a transfer attack).

    Parameters
    ----------
    labels : array_like of int, shape ``(n_samples,)``
        Class labels; ``C`` is the number of distinct labels present.
    n_clients : int
        Number of clients ``K``, ``1 <= K <= C``.
    classes_per_client : int, optional
        ``k``, with ``1 <= k`` and ``K k <= C``.
    random_state : int, numpy.random.Generator or numpy.random.SeedSequence
        Source of the class order.
    """
    owner = "disjoint_class_partition"
    y = _check_labels(owner, labels)
    classes = np.unique(y)
    _check(owner, "n_clients", n_clients, Interval(int, 1, classes.size))
    y = _check_common(owner, y, n_clients, random_state)
    order = as_generator(random_state).permutation(classes)
    if classes_per_client is None:
        groups = np.array_split(order, n_clients)
        left_over = order[:0]
    else:
        _check(owner, "classes_per_client", classes_per_client, Interval(int, 1, classes.size))
        k = int(classes_per_client)
        if n_clients * k > classes.size:
            raise ValueError(
                f"{owner}.n_clients * classes_per_client must be <= {classes.size} (the "
                f"number of classes); got {n_clients} * {k} = {n_clients * k}"
            )
        groups = [order[i * k : (i + 1) * k] for i in range(n_clients)]
        left_over = order[n_clients * k :]
    parts = [np.flatnonzero(np.isin(y, g)) for g in groups]
    unassigned = np.flatnonzero(np.isin(y, left_over))
    params = {"classes_per_client": classes_per_client}
    return _finish(y, parts, "disjoint_classes", params, unassigned)
