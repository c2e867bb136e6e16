"""Soteria's scoring time per client update: batched Jacobian products against the reference
code's per-element loop, at equal masks, measured in one run.

DLGLeNet (Zhu et al. 2019) on 1 x 28 x 28 inputs (588 representation elements), one torch
thread, batches of 1 and 8 random images. Three ways to get the 588 rows of ``dr/dX``:
the reference loop (one backward pass per element, github.com/jeremy313/Soteria), ``torch.func``
vmap over vjp (``method="batched"``, one vector-Jacobian product per element) and vmap over jvp
(``method="forward"``, one Jacobian-vector product per input entry). Each timing is the median
of several calls after one warm-up; the masks at 60 % pruning must be equal (checked). Also
the defense's overhead over an undefended update: ``soteria_defend`` (scores, mask, masked
gradient) against the gradient computation alone (forward and backward on the batch). Runs on
CUDA as well when a GPU is present.

Run: ``python -m benchmarks soteria``.
"""

from __future__ import annotations

import statistics
import time

import torch

BATCHES = (1, 8)
PRUNING_RATE = 60.0


def _median_time(fn, repeats: int) -> tuple[float, object]:
    out = fn()  # warm-up (vmap and kernel set-up)
    times = []
    for _ in range(repeats):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _gradient(model, x, y):
    model.zero_grad(set_to_none=True)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    return {k: p.grad.detach().double() for k, p in model.named_parameters()}


def _measure(device: str, batch: int) -> dict[str, float]:
    from mlcore.models import DLGLeNet
    from mlcore.privacy import soteria_defend, soteria_mask, soteria_scores
    from mlcore.rng import global_rng_seeded

    with global_rng_seeded(0):
        model = DLGLeNet(image_size=28).to(device)
    generator = torch.Generator().manual_seed(batch)
    x = torch.rand(batch, 1, 28, 28, generator=generator).to(device)
    y = torch.randint(0, 10, (batch,), generator=generator).to(device)
    times, masks = {}, {}
    for method, repeats in (("loop", 3), ("batched", 7), ("forward", 7)):
        times[method], scores = _median_time(
            lambda m=method: soteria_scores(model, x, method=m), repeats
        )
        masks[method] = soteria_mask(scores, PRUNING_RATE)
    for method in ("batched", "forward"):
        if not torch.equal(masks[method], masks["loop"]):
            raise AssertionError(f"{method} and loop masks differ at batch {batch} on {device}")
    times["gradient"], grads = _median_time(lambda: _gradient(model, x, y), 20)
    times["defend"], _ = _median_time(
        lambda: soteria_defend(model, x, grads, {"pruning_rate": PRUNING_RATE}), 7
    )
    return times


def main() -> None:
    torch.set_num_threads(1)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, 1 CPU thread; DLGLeNet 1x28x28, D = 588; masks at 60 %")
    print(
        "device batch    loop (ref)   vmap-vjp   vmap-jvp   loop/vjp  loop/jvp   "
        "gradient   defend  defend/gradient"
    )
    for device in devices:
        for batch in BATCHES:
            t = _measure(device, batch)
            print(
                f"{device:6s} {batch:5d} {t['loop'] * 1e3:10.1f} ms {t['batched'] * 1e3:7.1f} ms "
                f"{t['forward'] * 1e3:7.1f} ms {t['loop'] / t['batched']:8.1f}x "
                f"{t['loop'] / t['forward']:8.1f}x {t['gradient'] * 1e3:7.2f} ms "
                f"{t['defend'] * 1e3:7.1f} ms {t['defend'] / t['gradient']:10.0f}x"
            )
    print("masks equal (batched = forward = loop): True")


if __name__ == "__main__":
    main()
