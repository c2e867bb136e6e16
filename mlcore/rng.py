"""Explicit randomness: one root seed per run, child streams derived by name.

No mlcore function reseeds a global generator as a side effect. A run holds one
:class:`SeedStreams` built from its root seed; every consumer asks it for a child by *name*
(``streams.seed("pretrain")``, ``streams.numpy("split")``, ``streams.torch("shuffle")``), so
adding a consumer never shifts the numbers of the others, and the names with their derived
seeds are written into the run record (:meth:`SeedStreams.derived`).

Children come from :class:`numpy.random.SeedSequence` with a spawn key computed from the name
(``SeedSequence(root, spawn_key=(key(name),))``), the same mechanism as
``SeedSequence.spawn`` but addressed by name instead of by call order.

Where a dependency draws from a *global* generator (ART's random starts use
``np.random``; ``torch.nn`` layers initialise from torch's global generator),
:func:`global_rng_seeded` seeds the globals inside a ``with`` block and restores the caller's
states on exit, so the caller's streams are never disturbed.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
from collections.abc import Iterator

import numpy as np
import torch

__all__ = [
    "SeedStreams",
    "RandomState",
    "as_seed_sequence",
    "as_generator",
    "seed_from",
    "global_rng_seeded",
    "preserved_global_rng",
]

RandomState = int | np.integer | np.random.Generator | np.random.SeedSequence

_MASK63 = (1 << 63) - 1


def _name_key(name: str) -> int:
    """A stable 32-bit key for ``name`` (sha256, independent of Python's hash seed)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def _check_seed(seed, name: str = "seed") -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise _SeedTypeError(f"{name} must be an integer >= 0; got {seed!r}")
    if seed < 0:
        raise ValueError(f"{name} must be an integer >= 0; got {seed!r}")
    return int(seed)


class _SeedTypeError(TypeError, ValueError):
    """A seed of the wrong type (both a TypeError and a ValueError)."""


def as_seed_sequence(random_state: RandomState) -> np.random.SeedSequence:
    """A :class:`~numpy.random.SeedSequence` from an int seed, a SeedSequence, or a
    Generator (from which one fresh child is spawned)."""
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    if isinstance(random_state, np.random.Generator):
        return random_state.bit_generator.seed_seq.spawn(1)[0]
    return np.random.SeedSequence(_check_seed(random_state, "random_state"))


def as_generator(random_state: RandomState) -> np.random.Generator:
    """A numpy Generator: returned as is, or built from a seed / SeedSequence."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(as_seed_sequence(random_state))


def seed_from(random_state: RandomState) -> int:
    """A 63-bit integer seed drawn deterministically from ``random_state`` (for libraries
    that take an int: torch generators, ART through :func:`global_rng_seeded`)."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, _MASK63, dtype=np.int64))
    state = as_seed_sequence(random_state).generate_state(2, np.uint32)
    return (int(state[0]) | (int(state[1]) << 32)) & _MASK63


class SeedStreams:
    """Named child streams of one root seed.

    Parameters
    ----------
    root : int
        The run's root seed (>= 0).

    Examples
    --------
    >>> streams = SeedStreams(0)
    >>> a = streams.seed("pretrain")          # same int for the same (root, name)
    >>> g = streams.torch("shuffle")          # torch.Generator seeded from the stream
    >>> streams.derived()                     # {'pretrain': ..., 'shuffle': ...}
    """

    def __init__(self, root: int):
        self.root = _check_seed(root, "seed")
        self._derived: dict[str, int] = {}

    def sequence(self, name: str) -> np.random.SeedSequence:
        """The SeedSequence of child ``name``."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"stream name must be a non-empty string; got {name!r}")
        return np.random.SeedSequence(self.root, spawn_key=(_name_key(name),))

    def seed(self, name: str) -> int:
        """A 63-bit integer seed for child ``name`` (recorded)."""
        value = seed_from(self.sequence(name))
        self._derived[name] = value
        return value

    def numpy(self, name: str) -> np.random.Generator:
        """A fresh numpy Generator for child ``name`` (recorded)."""
        self.seed(name)
        return np.random.default_rng(self.sequence(name))

    def torch(self, name: str, device: str | torch.device = "cpu") -> torch.Generator:
        """A fresh torch Generator on ``device`` for child ``name`` (recorded)."""
        return torch.Generator(device=device).manual_seed(self.seed(name))

    def derived(self) -> dict[str, int]:
        """Every child drawn so far, ``{name: seed}``, for the run record."""
        return dict(sorted(self._derived.items()))


def _cuda_ready() -> bool:
    return torch.cuda.is_available() and torch.cuda.is_initialized()


@contextlib.contextmanager
def preserved_global_rng() -> Iterator[None]:
    """Save the global generators of ``random``, numpy and torch (CPU, and CUDA when in use)
    and restore them on exit, whatever happens inside."""
    py_state = random.getstate()
    np_state = np.random.get_state()  # noqa: NPY002  (saving the legacy global state)
    torch_state = torch.get_rng_state()
    cuda_states = torch.cuda.get_rng_state_all() if _cuda_ready() else None
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)  # noqa: NPY002
        torch.set_rng_state(torch_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)


@contextlib.contextmanager
def global_rng_seeded(random_state: RandomState) -> Iterator[int]:
    """Seed the global generators of ``random``, numpy and torch from ``random_state`` inside
    the block, and restore the caller's states on exit. Yields the integer seed used.

    This is the one place mlcore touches global generators: for dependencies that draw from
    them (ART's random starts, ``torch.nn`` weight initialisation)."""
    seed = seed_from(random_state)
    with preserved_global_rng():
        random.seed(seed)
        np.random.seed(seed % 2**32)  # noqa: NPY002  (ART draws from the legacy global RNG)
        torch.manual_seed(seed)
        yield seed
