"""Transfer-attack speed on this machine (same-source environment: white box on MNIST 0-4,
black box on MNIST 5-9, small CNNs, 1 thread): images per second of each transfer attack
against a plain torch MI-FGSM loop (the same iterations, no ART), and of each query attack;
queries per success of RGF and Square with and without the transfer prior.

Run: ``python -m benchmarks transfer``.
"""

from __future__ import annotations

import time

import numpy as np
import torch

_N = 100
_EPS = 0.3
_STEPS = 20


def _setup():
    from mlcore.transfer import environment_correspondence, fit_small_cnn, make_environment

    env = make_environment("same_source", random_state=0)
    wb = fit_small_cnn(env.wb_train, epochs=10, random_state=0)
    bb = fit_small_cnn(env.bb_train, epochs=10, random_state=1)
    matrix = environment_correspondence(env, bb)
    others = np.flatnonzero(env.bb_test.y != 0)[:_N]
    return env, wb, bb, matrix, env.bb_test.X[others]


def _plain_momentum(model, x: np.ndarray, proxy: int) -> np.ndarray:
    """Targeted MI-FGSM in plain torch (Dong et al. 2018, Alg. 1): the peer of ART's loop."""
    x0 = torch.as_tensor(x)
    adv, g = x0.clone(), torch.zeros_like(x0)
    target = torch.full((len(x),), proxy)
    alpha = _EPS / _STEPS
    for _ in range(_STEPS):
        adv.requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(model(adv), target)
        (grad,) = torch.autograd.grad(loss, adv)
        g = g + grad / grad.abs().sum(dim=(1, 2, 3), keepdim=True).clamp_min(1e-12)
        adv = adv.detach() - alpha * g.sign()
        adv = torch.min(torch.max(adv, x0 - _EPS), x0 + _EPS).clamp(0, 1)
    return adv.numpy()


def _rate(label: str, seconds: float, n: int, extra: str = "") -> None:
    print(f"{label:44s}: {n / seconds:7.0f} images/s{extra}")


def bench_transfer_attacks(env, wb, matrix, x) -> None:
    from mlcore.attacks import (
        FeatureSpaceAttack,
        ProxyObjective,
        TargetedMomentum,
        ThreatModel,
        train_feature_heads,
    )

    threat = ThreatModel(norm="linf", epsilon=_EPS, steps=_STEPS, step_size=_EPS / _STEPS)
    classes, weights = matrix.proxies(0, 1)
    objective = ProxyObjective(tuple(int(c) for c in classes), tuple(weights))
    heads = train_feature_heads(wb, "features.pool2", env.wb_train, epochs=3)
    t0 = time.perf_counter()
    _plain_momentum(wb, x, int(classes[0]))
    plain = time.perf_counter() - t0
    _rate(f"plain torch MI-FGSM, {_STEPS} steps", plain, len(x))
    attacks = {
        "TargetedMomentum (ART MIM), no DI": TargetedMomentum(threat, diversity_prob=0.0),
        "TargetedMomentum (ART MIM), DI p=0.5": TargetedMomentum(threat),
        "FeatureSpaceAttack, features.pool2": FeatureSpaceAttack(threat, "features.pool2", heads),
    }
    for label, attack in attacks.items():
        attack.generate(wb, x[:2], objective, 0)  # warm-up (ART's classifier set-up)
        t0 = time.perf_counter()
        attack.generate(wb, x, objective, 0)
        seconds = time.perf_counter() - t0
        _rate(label, seconds, len(x), f"  ({plain / seconds:.2f}x the plain loop)")


def bench_query_attacks(wb, bb, matrix, x) -> None:
    from mlcore.attacks import (
        RGF,
        ProxyObjective,
        SquareFromStart,
        TargetedMomentum,
        ThreatModel,
        gradient_prior,
    )

    budget = 500
    threat = ThreatModel(norm="linf", epsilon=0.2, steps=_STEPS, step_size=0.01,
                         query_budget=budget)  # fmt: skip
    classes, weights = matrix.proxies(0, 1)
    proxy = np.repeat(classes[None, :], len(x), axis=0)
    start = TargetedMomentum(threat).generate(
        wb, x, ProxyObjective(tuple(int(c) for c in classes), tuple(weights)), 0
    )
    runs = {
        "RGF": lambda: RGF(threat).run(bb, x, 0, 0),
        "P-RGF (white-box proxy prior)": lambda: RGF(threat).run(
            bb, x, 0, 0, prior=gradient_prior(wb, proxy, weights=weights)
        ),
        "Square (stripes)": lambda: SquareFromStart(threat).run(bb, x, 0, 0),
        "Square (from the transfer example)": lambda: SquareFromStart(threat).run(
            bb, x, 0, 0, start=start
        ),
    }
    for label, call in runs.items():
        t0 = time.perf_counter()
        res = call()
        seconds = time.perf_counter() - t0
        per_success = res.total_queries / max(int(res.success.sum()), 1)
        _rate(
            label,
            seconds,
            len(x),
            f"; success {res.success.mean():.2f} within {budget}, "
            f"{per_success:.0f} queries per success",
        )


def main() -> None:
    torch.set_num_threads(1)
    env, wb, bb, matrix, x = _setup()
    bench_transfer_attacks(env, wb, matrix, x)
    bench_query_attacks(wb, bb, matrix, x)


if __name__ == "__main__":
    main()
