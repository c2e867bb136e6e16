"""The generic runner: everything a result's ``run`` does not have to do itself.

:func:`run_result` resolves the device and the torch thread count, and for every root seed
builds a :class:`RunContext` (named seed streams, data loading, model placement, resumable
checkpoints, stage timing) and calls the result's ``run(params, context)``. It then assembles
the typed record (per-seed metrics, their mean and spread, derived seeds, library versions,
``git describe``, device, threads, wall time), writes it atomically and draws the figures.

Reproducibility: the same parameters, seeds, device and thread count give an identical record
(apart from timing and provenance fields). Different thread counts change the order of
floating-point reductions, and a long training run can amplify that: the thread count is part
of the record and of the checkpoint key.
"""

from __future__ import annotations

import contextlib
import functools
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .data import ImageDataset, load_digits, load_mnist_subset, train_test_split
from .device import resolve_device
from .records import RunCheckpoint, RunRecord, SeedRun, to_plain
from .registry import Result, get
from .rng import SeedStreams, global_rng_seeded
from .training import provenance

__all__ = ["RunContext", "run_result", "git_describe", "DATASETS"]

#: Built-in data sets a result can ask for by name (nothing is downloaded).
DATASETS: dict[str, Callable[[], ImageDataset]] = {
    "mnist_subset": load_mnist_subset,
    "digits": load_digits,
}


@functools.cache
def _load(dataset: str) -> ImageDataset:
    """The built-in data set, loaded once per process (every seed splits the same arrays)."""
    return DATASETS[dataset]()


@functools.cache
def git_describe() -> str:
    """``git describe --always --dirty --tags`` of the checkout holding mlcore, or
    ``"mlcore <version>"`` for an installed package."""
    import mlcore

    where = Path(mlcore.__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(where), "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return f"mlcore {mlcore.__version__}"


@dataclass
class RunContext:
    """What one seed of a result's ``run`` gets from the runner.

    Attributes
    ----------
    seed : int
        The root seed of this run.
    streams : SeedStreams
        Named child streams of ``seed``; every stream drawn is written into the record.
    device : torch.device
        Where models and batches live (:meth:`place` moves a model there once).
    progress : bool
        Show progress bars.
    checkpoint : RunCheckpoint
        Finished steps of this seed (:meth:`trained`, :meth:`step`).
    out_dir : Path or None
        The run's output folder (figures, side files).
    """

    seed: int
    streams: SeedStreams
    device: torch.device
    progress: bool
    checkpoint: RunCheckpoint
    out_dir: Path | None
    stage_times_s: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a named stage of the pipeline (recorded as ``stage_times_s[name]``)."""
        if self.progress:
            print(f"[seed {self.seed}] {name}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self.stage_times_s[name] = self.stage_times_s.get(name, 0.0) + elapsed

    def image_split(
        self, dataset: str, *, test_fraction: float, n_samples: int | None = None
    ) -> tuple[ImageDataset, ImageDataset]:
        """``(train, test)``: the built-in ``dataset`` (a key of :data:`DATASETS`), optionally a
        stratified ``n_samples`` subset of it, split with ``test_fraction``; seeded by the
        stream ``"split"``."""
        if dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {sorted(DATASETS)}; got {dataset!r}")
        data = _load(dataset)
        seed = self.streams.seed("split")
        if n_samples is not None and n_samples < len(data):
            data, _ = train_test_split(data, test_fraction=1 - n_samples / len(data), seed=seed)
        return train_test_split(data, test_fraction=test_fraction, seed=seed)

    def place(self, module: nn.Module) -> nn.Module:
        """``module`` moved to :attr:`device` (once; the training loops follow the model)."""
        return module.to(self.device)

    def init_model(self, factory: Callable[[], nn.Module], stream: str) -> nn.Module:
        """``factory()`` with its initial weights drawn from the named ``stream`` (torch layers
        initialise from the global generator, seeded here and restored afterwards), placed on
        :attr:`device`."""
        with global_rng_seeded(self.streams.seed(stream)):
            return self.place(factory())

    def trained(self, name: str, module: nn.Module, train: Callable[[nn.Module], Any]):
        """``module`` trained by ``train(module)``, or its weights from a finished step."""
        return self.checkpoint.module(name, self.place(module), train)

    def step(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` (plain data), or its stored value from a finished step."""
        return self.checkpoint.step(name, compute)

    def metrics_step(self, name: str, metrics_type: type, compute: Callable[[], Any]) -> Any:
        """:meth:`step` read back as ``metrics_type`` (a :class:`mlcore.records.Metrics`
        dataclass): a computed and a resumed step give the same typed value, both through the
        step's plain JSON data."""
        return metrics_type.from_dict(self.step(name, compute))


@contextlib.contextmanager
def _torch_threads(threads: int | None) -> Iterator[int]:
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def _seed_run(result: Result, params, seed: int, ctx_kw: dict, checkpoints: Path | None, key):
    streams = SeedStreams(seed)
    checkpoint = RunCheckpoint(checkpoints, result.name, {**key, "seed": seed})
    ctx = RunContext(seed=seed, streams=streams, checkpoint=checkpoint, **ctx_kw)
    start = time.perf_counter()
    metrics = result.run(params, ctx)
    if not isinstance(metrics, result.record.metrics_type):
        raise TypeError(
            f"{result.name}.run returned {type(metrics).__name__}, "
            f"expected {result.record.metrics_type.__name__}"
        )
    return SeedRun(
        seed=seed,
        derived_seeds=streams.derived(),
        wall_time_s=round(time.perf_counter() - start, 1),
        stage_times_s={k: round(v, 2) for k, v in ctx.stage_times_s.items()},
        resumed_steps=tuple(checkpoint.reused),
        metrics=metrics,
    )


def run_result(
    result: str | Result,
    params: Any = None,
    *,
    seeds: tuple[int, ...] | list[int] = (0,),
    device: str | torch.device = "auto",
    threads: int | None = None,
    out_dir: str | Path | None = None,
    record_path: str | Path | None = None,
    progress: bool = True,
    checkpoints: bool = True,
    plot: bool = True,
    command: str | None = None,
) -> RunRecord:
    """Run ``result`` over ``seeds`` and return its typed record.

    Parameters
    ----------
    result : str or Result
        A registered result or its name.
    params : Params, dict or None
        Its parameters (a dict is checked by ``result.params.from_dict``; None = defaults).
    seeds : sequence of int
        Root seeds (each >= 0, distinct); one :class:`SeedRun` each.
    device : "auto", "cpu", "cuda" or "cuda:N"
        See :func:`mlcore.device.resolve_device`.
    threads : int, optional
        torch CPU threads during the run (restored afterwards); None keeps the current count.
    out_dir : path, optional
        Figures (and, with ``checkpoints``, finished steps under ``out_dir/checkpoints``).
    record_path : path, optional
        Where to write the record (JSON, atomically); None writes none.
    """
    result = get(result) if isinstance(result, str) else result
    if params is None or isinstance(params, dict):
        params = result.params.from_dict(params or {})
    elif not isinstance(params, result.params):
        raise TypeError(f"params must be a {result.params.__name__} or a dict; got {params!r}")
    seeds = tuple(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-empty sequence of distinct integers; got {seeds}")
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
    ):
        raise ValueError(f"threads must be an integer >= 1; got {threads!r}")
    dev = resolve_device(device)
    out = Path(out_dir) if out_dir is not None else None
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    start = time.perf_counter()
    with _torch_threads(threads) as n_threads:
        key = {"params": to_plain(params), "device": str(dev), "threads": n_threads}
        ckpt = out / "checkpoints" if (out is not None and checkpoints) else None
        ctx_kw = dict(device=dev, progress=progress, out_dir=out)
        runs = tuple(_seed_run(result, params, s, ctx_kw, ckpt, key) for s in seeds)
        versions = provenance()
    record = result.record(
        params=params,
        runs=runs,
        device=str(dev),
        torch_threads=n_threads,
        versions=versions,
        git_describe=git_describe(),
        command=command
        or " ".join(shlex.quote(a) for a in ["python", "-m", "mlcore", *sys.argv[1:]]),
        created_utc=created,
        wall_time_s=round(time.perf_counter() - start, 1),
    )
    if record_path is not None:
        record.save(record_path)
    if out is not None and plot:
        result.plot(record, out)
    return record
