"""Gradient-inversion attack speed: iterations per second of mlcore's DLG and Inverting
Gradients (GS) against a plain torch loop written as the reference code does it (DLG:
``Defend_DLG`` / Zhu et al.'s notebook, ``grad_diff.backward()`` in an L-BFGS closure; GS:
``inversefed``'s Adam step), on one thread, batch 1, 28 x 28 MNIST digit.

DLG on DLGLeNet: function evaluations (forward, parameter gradient, its gradient with respect
to the dummy) per second and outer L-BFGS steps (``max_eval`` 20) per second, counted while
the attack is still converging (the first 10 steps). GS on ConvNet of width 16 and 64: Adam
steps per second. Each timing is the best of two, alternating mlcore and the plain loop,
after one warm-up step of each. The ratio mlcore / plain loop shows the library's overhead
(1 = none; above 1: mlcore skips the parameters' second-order gradients the loop computes).

Run: ``python -m benchmarks inversion``.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch
import torch.nn.functional as F

DLG_STEPS = 10
GS_STEPS = {16: 30, 64: 5}
REPEATS = 2  # best of, alternating mlcore and the plain loop (the machine may be shared)


def _shared(model, x, y):
    loss = F.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    return {n: g.double() for (n, _), g in zip(model.named_parameters(), grads, strict=True)}


def _plain_dlg(model, shared, y, steps):
    """The reference DLG loop (iDLG label): evaluations and wall time."""
    targets = [t.float() for t in shared.values()]
    generator = torch.Generator().manual_seed(0)
    dummy = torch.randn((1, 1, 28, 28), generator=generator).requires_grad_(True)
    optimizer = torch.optim.LBFGS([dummy])
    count = [0]

    def closure():
        count[0] += 1
        optimizer.zero_grad()
        loss = F.cross_entropy(model(dummy), y)
        dy_dx = torch.autograd.grad(loss, model.parameters(), create_graph=True)
        diff = sum(((g - t) ** 2).sum() for g, t in zip(dy_dx, targets, strict=True))
        diff.backward()
        return diff

    start = time.perf_counter()
    for _ in range(steps):
        optimizer.step(closure)
    return count[0], time.perf_counter() - start


def _plain_gs(model, shared, y, steps):
    """The ``inversefed`` step: cosine loss + TV, signed gradient, Adam, clamp."""
    from mlcore.attacks.inversion import total_variation

    targets = [t.float() for t in shared.values()]
    target_norm = torch.sqrt(sum(t.pow(2).sum() for t in targets))
    dummy = torch.randn((1, 1, 28, 28), generator=torch.Generator().manual_seed(0))
    dummy.requires_grad_(True)
    optimizer = torch.optim.Adam([dummy], lr=0.1)
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(dummy), y)
        grads = torch.autograd.grad(loss, model.parameters(), create_graph=True)
        dot = sum((g * t).sum() for g, t in zip(grads, targets, strict=True))
        norm = torch.sqrt(sum(g.pow(2).sum() for g in grads))
        objective = 1 - dot / norm / target_norm + 1e-4 * total_variation(dummy)
        objective.backward()
        dummy.grad.sign_()
        optimizer.step()
        with torch.no_grad():
            dummy.clamp_(0, 1)
    return time.perf_counter() - start


def _dlg_rows(x, y):
    from mlcore.attacks.inversion import DLG, DLGOptions
    from mlcore.models import DLGLeNet
    from mlcore.rng import global_rng_seeded

    with global_rng_seeded(0):
        lenet = DLGLeNet()
    shared = _shared(lenet, x, y)

    def ours(steps):
        attack = DLG(DLGOptions(iterations=steps, tolerance=0.0))
        result = attack.run(lenet, shared, y.numpy(), 1, (1, 28, 28), rng=0)
        return result.evaluations, result.wall_time_s

    ours(1), _plain_dlg(lenet, shared, y, 1)  # warm-up
    runs = [(ours(DLG_STEPS), _plain_dlg(lenet, shared, y, DLG_STEPS)) for _ in range(REPEATS)]
    (evals, wall), _ = min(runs, key=lambda r: r[0][1])
    _, (plain_evals, plain_wall) = min(runs, key=lambda r: r[1][1])
    return [
        ("DLG, DLGLeNet: evaluations/s", evals / wall, plain_evals / plain_wall),
        ("DLG, DLGLeNet: L-BFGS steps/s", DLG_STEPS / wall, DLG_STEPS / plain_wall),
    ]


def _gs_row(x, y, width, steps):
    from mlcore.attacks.inversion import InvertingGradients, InvertingGradientsOptions
    from mlcore.models import ConvNet
    from mlcore.rng import global_rng_seeded

    with global_rng_seeded(0):
        convnet = ConvNet(width=width).eval()
    shared = _shared(convnet, x, y)

    def ours(n):
        attack = InvertingGradients(InvertingGradientsOptions(iterations=n))
        return attack.run(convnet, shared, y.numpy(), 1, (1, 28, 28), rng=0).wall_time_s

    ours(1), _plain_gs(convnet, shared, y, 1)  # warm-up
    runs = [(ours(steps), _plain_gs(convnet, shared, y, steps)) for _ in range(REPEATS)]
    wall, plain = min(r[0] for r in runs), min(r[1] for r in runs)
    return (f"GS, ConvNet width {width}: Adam steps/s", steps / wall, steps / plain)


def _rows(x, y):
    return _dlg_rows(x, y) + [_gs_row(x, y, w, n) for w, n in GS_STEPS.items()]


def main() -> None:
    from mlcore.data import load_mnist_subset

    torch.set_num_threads(1)
    data = load_mnist_subset()
    x, y = torch.as_tensor(data.X[:1]), torch.as_tensor(data.y[:1])
    load = os.getloadavg()[0]
    rows = _rows(x, y)
    print(f"torch {torch.__version__}, 1 thread, load average {load:.1f} at start; batch 1, 28x28")
    print(f"{'':40s} {'mlcore':>9s} {'plain loop':>11s} {'ratio':>6s}")
    for name, ours, plain in rows:
        print(f"{name:40s} {ours:9.2f} {plain:11.2f} {ours / plain:6.2f}")
    print("(mlcore's wall time includes the model copy, checks and final loss evaluation)")
    print(f"per evaluation, DLG: {1e3 / rows[0][1]:.1f} ms; numpy {np.__version__}")


if __name__ == "__main__":
    main()
