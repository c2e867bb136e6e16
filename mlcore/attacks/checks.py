"""A conformance check for attacks, in the spirit of scikit-learn's ``check_estimator``:
a new attack (a later result's transfer, query or poisoning variant) calls
:func:`check_attack` in its tests to show it honours the shared contract."""

from __future__ import annotations

import random

import numpy as np
import torch
from torch import nn

from .base import Attack
from .threat import perturbation_norms

__all__ = ["check_attack"]


def _global_draws() -> tuple[float, float, float]:
    return random.random(), float(np.random.random()), float(torch.rand(1))  # noqa: NPY002


def _fail(attack: Attack, what: str) -> None:
    raise AssertionError(f"{attack!r} breaks the attack contract: {what}")


def _mode_snapshot(model: nn.Module) -> list[tuple[bool, ...]]:
    return [
        tuple(m.training for m in model.modules()),
        tuple(p.requires_grad for p in model.parameters()),
        tuple(None if p.grad is None else p.grad.detach().clone() for p in model.parameters()),
    ]


def _same_state(a: list, b: list) -> bool:
    grads_equal = all(
        (g is None and h is None) or (g is not None and h is not None and torch.equal(g, h))
        for g, h in zip(a[2], b[2], strict=True)
    )
    return a[:2] == b[:2] and grads_equal


def check_attack(
    attack: Attack, model: nn.Module, x: np.ndarray, y: np.ndarray, rng: int = 0
) -> None:
    """Run ``attack`` on ``model`` three times and check the contract of
    :class:`mlcore.attacks.Attack`:

    * the images are float32 with the shape of ``x``, in [0, 1], and every perturbation is
      within ``attack.threat.epsilon`` exactly (l2: up to ``1e-12`` relative, the rounding of
      the float64 sum) and matches ``AttackResult.norms``;
    * the caller's global generators (``random``, numpy, torch) are untouched;
    * the same ``rng`` gives the same images;
    * the model's train/eval flags, ``requires_grad`` and ``.grad`` tensors are as before;
    * a black-box attack reports its queries.

    Raises
    ------
    AssertionError
        Naming the attack and the broken clause.
    """
    x = np.asarray(x, dtype=np.float32)
    before = _mode_snapshot(model)
    state = (random.getstate(), np.random.get_state(), torch.get_rng_state())  # noqa: NPY002
    expected = _global_draws()
    random.setstate(state[0])
    np.random.set_state(state[1])  # noqa: NPY002
    torch.set_rng_state(state[2])
    result = attack.run(model, x, y, rng)
    if _global_draws() != expected:
        _fail(attack, "it changed the caller's global random generators")
    if not _same_state(_mode_snapshot(model), before):
        _fail(attack, "it changed the model's train/eval flags, requires_grad or .grad")
    x_adv = result.x_adv
    if x_adv.dtype != np.float32 or x_adv.shape != x.shape:
        _fail(attack, f"images are {x_adv.dtype} {x_adv.shape}, not float32 {x.shape}")
    if not (x_adv.min() >= 0.0 and x_adv.max() <= 1.0):
        _fail(attack, f"pixels leave [0, 1]: [{x_adv.min()}, {x_adv.max()}]")
    threat = attack.threat
    norms = perturbation_norms(x_adv, x, threat.norm)
    tolerance = 0.0 if threat.norm == "linf" else 1e-12 * threat.epsilon
    if norms.max() > threat.epsilon + tolerance:
        _fail(attack, f"{threat.norm} perturbation {norms.max()!r} > epsilon {threat.epsilon}")
    if not np.array_equal(norms, result.norms):
        _fail(attack, "AttackResult.norms are not the perturbation norms of x_adv")
    if not np.array_equal(x_adv, attack.run(model, x, y, rng).x_adv):
        _fail(attack, f"two runs with rng={rng!r} gave different images")
    if attack.black_box and (result.queries is None or result.queries < len(x)):
        _fail(attack, f"a black-box attack reported {result.queries!r} queries for {len(x)} images")
