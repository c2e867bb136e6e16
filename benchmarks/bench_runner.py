"""Runner overhead: the same training run through :func:`mlcore.runner.run_result` and as a bare
torch loop, as a ratio measured in one run (goal: under 5 % overhead, ratio < 1.05).

The probe result registered here splits the MNIST subset, initialises a LeNet-5, trains it with
:func:`mlcore.training.fit` and evaluates it; through the runner that adds the seed streams, the
device placement, stage timing, provenance (library versions, ``git describe``), the record's
assembly and its atomic write. The bare loop does the same split, initialisation, Adam training
(same batch size, epochs and shuffling per epoch) and evaluation in plain torch. Each is run
``repeats`` times, alternating, after one warm-up each; the medians are compared.

Run: ``python -m benchmarks runner``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

EPOCHS = 3
BATCH = 128


def _probe():
    """Register (once) and return the probe result."""
    from mlcore.models import LeNet5
    from mlcore.params import Interval, Params, parameter
    from mlcore.records import Metrics, RunRecord
    from mlcore.registry import Result, get, register
    from mlcore.training import evaluate, fit

    try:
        return get("runner_overhead_probe")
    except ValueError:
        pass

    @dataclass(frozen=True)
    class ProbeParams(Params):
        epochs: int = parameter(EPOCHS, Interval(int, 1, None), "training", unit="epochs")

    @dataclass(frozen=True)
    class ProbeMetrics(Metrics):
        accuracy: float

    @dataclass(frozen=True)
    class ProbeRecord(
        RunRecord,
        result="runner_overhead_probe",
        params_type=ProbeParams,
        metrics_type=ProbeMetrics,
    ):
        """Run record of the probe."""

    def run(p, ctx):
        train, test = ctx.image_split("mnist_subset", test_fraction=0.2)
        model = ctx.init_model(LeNet5, "init")
        fit(model, train, epochs=p.epochs, seed=ctx.streams.seed("train"), progress=False)
        return ProbeMetrics(evaluate(model, test))

    probe = Result("runner_overhead_probe", "benchmark probe", ProbeParams, ProbeRecord, run,
                   plot=lambda rec, out: [], summary=lambda rec: "")  # fmt: skip
    return register(probe)


def _bare(data) -> float:
    """Split, init, Adam training and evaluation in plain torch (the peer)."""
    from mlcore.data import train_test_split
    from mlcore.models import LeNet5

    train, test = train_test_split(data, test_fraction=0.2, seed=0)
    torch.manual_seed(0)
    model = LeNet5()
    X, y = torch.from_numpy(train.X), torch.from_numpy(train.y)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    for _ in range(EPOCHS):
        model.train()
        order = torch.randperm(len(X), generator=gen)
        for start in range(0, len(X), BATCH):
            idx = order[start : start + BATCH]
            loss = loss_fn(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(test.X)).argmax(1)
    return float((pred == torch.from_numpy(test.y)).float().mean())


def main(repeats: int = 3) -> None:
    from mlcore.data import load_mnist_subset
    from mlcore.runner import run_result

    probe = _probe()
    data = load_mnist_subset()
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "record.json"

        def through_runner():
            run_result(probe, {"epochs": EPOCHS}, seeds=(0,), device="cpu", threads=threads,
                       record_path=record, progress=False)  # fmt: skip

        times: dict[str, list[float]] = {"runner": [], "bare": []}
        for i in range(repeats + 1):  # the first round warms up (imports, caches)
            for name, call in (("runner", through_runner), ("bare", lambda: _bare(data))):
                start = time.perf_counter()
                call()
                if i:
                    times[name].append(time.perf_counter() - start)
    runner, bare = statistics.median(times["runner"]), statistics.median(times["bare"])
    print(
        f"LeNet-5, MNIST subset (4000 train images), {EPOCHS} epochs, batch {BATCH}, "
        f"{threads} torch thread(s), CPU; median of {repeats} alternating runs"
    )
    print(f"bare torch loop {bare:.2f} s; through mlcore.runner {runner:.2f} s; "
          f"ratio {runner / bare:.3f} (goal < 1.05)")  # fmt: skip


if __name__ == "__main__":
    main()
