"""Attacks (ART), boundary samples, the nonlinear mapping and BPDA, the loss criteria."""

import numpy as np
import pytest
import torch
from mlcore_test_helpers import tiny_mlp

from mlcore.robust import (
    NonlinearInputMapping,
    adversarial_loss,
    boundary_samples,
    fgsm,
    pgd,
    quantization_loss,
    robustness,
    with_mapping,
)
from mlcore.training import evaluate, fit


@pytest.fixture(scope="module")
def trained(digits):
    model = tiny_mlp(hidden=48)
    fit(model, digits[0], epochs=12, lr=3e-3, seed=0, progress=False)
    return model


def test_criteria_definitions():
    assert quantization_loss(0.98, 0.95) == pytest.approx(0.03)
    assert adversarial_loss(0.95, 0.40) == pytest.approx(0.55)


def test_attacks_stay_in_budget_and_hurt(digits, trained):
    test = digits[1]
    X, y = test.X[:200], test.y[:200]
    clean = evaluate(trained, (X, y))
    for attack in (
        lambda: fgsm(trained, X, y, eps=0.1),
        lambda: pgd(trained, X, y, eps=0.1, max_iter=10),
    ):
        x_adv = attack()
        assert np.abs(x_adv - X).max() <= 0.1 + 1e-6
        assert x_adv.min() >= 0 and x_adv.max() <= 1
        assert evaluate(trained, (x_adv, y)) < clean - 0.2
    with pytest.raises(ValueError, match="eps"):
        pgd(trained, X, y, eps=0.0)


def test_boundary_samples_lie_just_across_the_boundary(digits, trained):
    test = digits[1]
    X, y = test.X[:150], test.y[:150]
    xb = boundary_samples(trained, X, y, eps=0.15, seed=0)
    assert np.abs(xb - X).max() <= 0.15 + 1e-6
    x_pgd = pgd(trained, X, y, eps=0.15, max_iter=10, seed=0)
    pred = lambda x: trained(torch.as_tensor(x)).argmax(1).numpy()  # noqa: E731
    flipped = pred(x_pgd) != y
    assert flipped.mean() > 0.5
    # on the flipped ones, the boundary point is misclassified and closer than the PGD point
    assert np.all(pred(xb)[flipped] != y[flipped])
    dist_b = np.abs(xb - X).reshape(len(X), -1).max(1)
    dist_p = np.abs(x_pgd - X).reshape(len(X), -1).max(1)
    assert np.all(dist_b[flipped] <= dist_p[flipped] + 1e-6)
    assert dist_b[flipped].mean() < 0.8 * dist_p[flipped].mean()


def test_mapping_is_a_soft_staircase():
    mapping = NonlinearInputMapping(levels=4, temperature=200.0)
    x = torch.linspace(0, 1, 301, requires_grad=True)
    g = mapping(x)
    assert torch.all(g[1:] >= g[:-1])
    hard = torch.round(x.detach() * 3) / 3
    far = torch.abs(x.detach() * 3 - torch.round(x.detach() * 3)) < 0.3  # away from edges
    assert torch.allclose(g.detach()[far], hard[far], atol=1e-3)
    (grad,) = torch.autograd.grad(g.sum(), x)
    assert grad[far].abs().max() < 0.05  # flat steps: vanishing gradient
    with pytest.raises(ValueError, match="levels"):
        NonlinearInputMapping(levels=1)


@pytest.mark.slow
def test_bpda_sees_through_the_mapping(digits):
    train, test = digits
    mapping = NonlinearInputMapping(levels=2, temperature=400.0)
    model = tiny_mlp(hidden=48)
    fit(with_mapping(model, mapping), train, epochs=12, lr=3e-3, seed=0, progress=False)
    scores = robustness(model, test.subset(np.arange(200)), eps=0.2, mapping=mapping, pgd_iter=10)
    assert scores["clean"] > 0.8
    # gradients through the steep mapping vanish: white-box PGD is weak, BPDA is not
    assert scores["pgd_bpda"] < scores["pgd"] - 0.1
