"""BSQ speed: training-step time of a bit-plane layer against a plain float layer of the same
shape (ratio), the same for a whole LeNet-5, one BSQ epoch measured now, and the wall time of
the full reduced-scale runs as recorded in the committed reference records
(``validation/runs/*.json``, read through their typed record classes).

Run: ``python -m benchmarks bsq`` (or ``python -c "import benchmarks.bench_bsq as b; b.main()"``).
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn


def _step_time(model: nn.Module, x, y, extra=None, after=None, repeats: int = 30) -> float:
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss() if y.dtype == torch.int64 else nn.MSELoss()
    times = []
    for i in range(repeats + 5):
        t0 = time.perf_counter()
        loss = loss_fn(model(x), y)
        if extra is not None:
            loss = loss + extra(model)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if after is not None:
            with torch.no_grad():
                after(model)
        if i >= 5:  # warm-up excluded
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    from mlcore.models import LeNet5
    from mlcore.quantization import BitPlaneLayer, bit_group_lasso, to_bit_model
    from mlcore.quantization.bsq import bit_layers

    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU; median of 30 steps")
    print("layer                     float step   BSQ step (8 bit)   ratio")
    cases = {
        "Linear 400->120, batch 128": (
            nn.Linear(400, 120),
            torch.randn(128, 400),
            torch.randn(128, 120),
        ),
        "Conv 6->16 5x5, 14x14, b128": (
            nn.Conv2d(6, 16, 5),
            torch.randn(128, 6, 14, 14),
            torch.randn(128, 16, 10, 10),
        ),
    }
    for name, (layer, x, y) in cases.items():
        t_float = _step_time(layer, x, y)
        bit = BitPlaneLayer(layer, 8)
        t_bit = _step_time(bit, x, y, after=lambda m: m.clamp_())
        print(
            f"{name:27s} {1e3 * t_float:8.3f} ms   {1e3 * t_bit:8.3f} ms   {t_bit / t_float:6.2f}x"
        )

    x, y = torch.rand(128, 1, 28, 28), torch.randint(0, 10, (128,))
    lenet = LeNet5()
    t_float = _step_time(lenet, x, y)
    bits = to_bit_model(lenet, 8)

    def clamp_all(m):
        for _, layer in bit_layers(m):
            layer.clamp_()

    t_bit = _step_time(bits, x, y, extra=lambda m: 0.1 * bit_group_lasso(m), after=clamp_all)
    print(
        f"{'LeNet-5 (+ regularizer)':27s} {1e3 * t_float:8.3f} ms   {1e3 * t_bit:8.3f} ms   "
        f"{t_bit / t_float:6.2f}x"
    )
    epoch_bit, epoch_float = 32 * t_bit, 32 * t_float
    print(f"one BSQ epoch (4000 images, 32 steps) ~ {epoch_bit:.2f} s; float ~ {epoch_float:.2f} s")

    _recorded_runs()


def _recorded_runs() -> None:
    """Wall time of the committed full reduced-scale runs, from their typed records."""
    from mlcore.records import RecordError, reference_runs_dir
    from mlcore.registry import load_record

    runs = reference_runs_dir()
    for result in ("bsq", "boundary"):
        path = None if runs is None else runs / f"{result}.json"
        if path is None or not path.is_file():
            print(f"full reduced-scale run '{result}': no record at {path or 'validation/runs'}")
            continue
        try:
            rec = load_record(path, result)
        except RecordError as err:
            print(f"full reduced-scale run '{result}': unreadable record ({err})")
            continue
        print(
            f"full reduced-scale run '{result}': {rec.wall_time_s:.0f} s wall "
            f"({rec.torch_threads} torch threads, recorded {rec.created_utc}; `{rec.command}`)"
        )


if __name__ == "__main__":
    main()
