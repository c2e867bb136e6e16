"""Proxy-targeted transfer attacks: exact norm bounds and the attack contract, targeted
success on the white box itself, proxy weights that steer the result, the feature heads, and
errors that name the bad parameter."""

import numpy as np
import pytest
import torch
from torch import nn

from mlcore.attacks import ThreatModel, check_attack
from mlcore.attacks.feature_attack import FeatureSpaceAttack, train_feature_heads
from mlcore.attacks.targeted import (
    ProxyObjective,
    TargetedMomentum,
    _diversity_class,
    proxy_weights,
)
from mlcore.training import fit

N_IMAGES = 48
RESIZE_MAX = 10  # input diversity canvas for the 8 x 8 digits


class _TinyCNN(nn.Module):
    """``model(x) == model.head(model.features(x))`` on 1 x 8 x 8 digits."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        self.head = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        return self.head(self.features(x))


@pytest.fixture(scope="module")
def model(digits):
    torch.manual_seed(0)
    net = _TinyCNN()
    fit(net, digits[0], epochs=8, lr=3e-3, seed=0, progress=False)
    return net


@pytest.fixture(scope="module")
def heads(model, digits):
    return train_feature_heads(model, "features", digits[0], epochs=15, random_state=0)


@pytest.fixture(scope="module")
def batch(digits):
    test = digits[1]
    x, y = test.X[:N_IMAGES], test.y[:N_IMAGES]
    return x, (y + 1) % 10  # a target that is never the true class


def _predict(model, x):
    with torch.no_grad():
        return model(torch.as_tensor(x)).argmax(1).numpy()


def _attack(kind, threat, heads):
    if kind == "momentum":
        return TargetedMomentum(threat, diversity_prob=0.0)
    if kind == "momentum_di":
        return TargetedMomentum(threat, diversity_prob=1.0, resize_max=RESIZE_MAX)
    return FeatureSpaceAttack(threat, "features", heads, output_weight=0.5)


# --- the attack contract: exact bound, global RNG, model state, reproducibility ----------


@pytest.mark.parametrize("kind", ["momentum", "momentum_di", "feature"])
@pytest.mark.parametrize(("norm", "eps"), [("linf", 0.1), ("l2", 0.8)])
def test_contract_and_exact_bound(model, heads, batch, kind, norm, eps):
    x, target = batch
    attack = _attack(kind, ThreatModel(norm=norm, epsilon=eps, steps=5), heads)
    check_attack(attack, model, x, target, rng=3)
    x_adv = attack.generate(model, x, target, 3)
    assert not np.array_equal(x_adv, x)  # the attack moved the images
    # the heads (an extra module) keep their frozen eval state
    assert not heads.module.training
    assert not any(p.requires_grad for p in heads.module.parameters())


def test_input_diversity_draws_from_rng_only(model, batch):
    x, target = batch
    threat = ThreatModel(epsilon=0.1, steps=5)
    with_di = TargetedMomentum(threat, diversity_prob=0.5, resize_max=RESIZE_MAX)
    assert not np.array_equal(
        with_di.generate(model, x, target, 1), with_di.generate(model, x, target, 2)
    )
    without = TargetedMomentum(threat, diversity_prob=0.0)
    assert np.array_equal(
        without.generate(model, x, target, 1), without.generate(model, x, target, 2)
    )


def test_input_diversity_transform_is_differentiable_and_keeps_size():
    generator = torch.Generator().manual_seed(0)
    always = _diversity_class()(1.0, 12, generator, "cpu")
    never = _diversity_class()(0.0, 12, generator, "cpu")
    x = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(1), requires_grad=True)
    out, _ = always.forward(x)
    assert out.shape == x.shape
    assert not torch.equal(out, x)
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert never.forward(x)[0] is x


# --- behaviour on the white box itself ---------------------------------------------------


def test_targeted_momentum_reaches_the_target_on_the_white_box(model, batch):
    x, target = batch
    assert np.mean(_predict(model, x) == target) < 0.1  # clean base rate of the target
    attack = TargetedMomentum(ThreatModel(epsilon=0.3, steps=20), diversity_prob=0.0)
    assert np.mean(_predict(model, attack.generate(model, x, target, 0)) == target) >= 0.8


def test_feature_attack_reaches_the_target_under_the_heads(model, heads, batch):
    x, target = batch
    attack = FeatureSpaceAttack(ThreatModel(epsilon=0.3, steps=20), "features", heads)
    x_adv = attack.generate(model, x, target, 0)
    with torch.no_grad():
        head_logits = heads(model, torch.as_tensor(x_adv))
        clean_logits = heads(model, torch.as_tensor(x))
    assert np.mean(clean_logits.argmax(1).numpy() == target) < 0.1
    assert np.mean(head_logits.argmax(1).numpy() == target) >= 0.7
    # the target's head moves from "negative" to "positive" for most images
    rows = np.arange(len(x))
    assert np.mean(head_logits.numpy()[rows, target] > 0) >= 0.8


@pytest.mark.parametrize("kind", ["momentum", "feature"])
def test_proxy_weights_steer_the_attack(model, heads, batch, kind):
    x, _ = batch
    attack = _attack(kind, ThreatModel(epsilon=0.3, steps=20), heads)
    towards_a = attack.generate(model, x, ProxyObjective((3, 7), (1.0, 0.0)), 0)
    towards_b = attack.generate(model, x, ProxyObjective((3, 7), (0.0, 1.0)), 0)
    pred_a, pred_b = _predict(model, towards_a), _predict(model, towards_b)
    assert np.mean(pred_a == 3) >= 0.6 and np.mean(pred_a == 7) <= 0.2
    assert np.mean(pred_b == 7) >= 0.6 and np.mean(pred_b == 3) <= 0.2


@pytest.mark.parametrize("kind", ["momentum", "feature"])
def test_one_step_is_the_sign_of_the_soft_proxy_loss(model, heads, batch, kind):
    """One step of length epsilon moves every pixel by -epsilon * sign(grad L), with L the
    weighted (soft-label) loss of the module docstrings, not the loss of the top proxy."""
    x, _ = batch
    eps = 0.05
    attack = _attack(kind, ThreatModel(epsilon=eps, steps=1, step_size=eps), heads)
    objective = ProxyObjective((3, 7), (0.6, 0.4))
    x_adv = attack.generate(model, x, objective, 0)
    w = torch.as_tensor(proxy_weights(objective, len(x), 10))
    xt = torch.as_tensor(x).requires_grad_(True)
    logits = model(xt)
    loss = -(w * torch.log_softmax(logits, 1)).sum()
    if kind == "feature":
        loss = 0.5 * loss - (w * torch.nn.functional.logsigmoid(heads(model, xt))).sum()
    (grad,) = torch.autograd.grad(loss, xt)
    expected = np.clip(x - eps * np.sign(grad.numpy()), 0.0, 1.0)
    moved = grad.numpy() != 0
    assert moved.mean() > 0.5
    np.testing.assert_allclose(x_adv[moved], expected[moved], atol=1e-6)


def _reference_mi_fgsm(model, x, weights, eps, alpha, steps, mu):
    """Dong et al. (2018), Algorithm 1, targeted, in plain torch: the reference for ART."""
    x0 = torch.as_tensor(x)
    x_adv, g = x0.clone(), torch.zeros_like(x0)
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = -(weights * torch.log_softmax(model(x_adv), 1)).sum()
        (grad,) = torch.autograd.grad(loss, x_adv)
        g = mu * g + grad / grad.abs().sum((1, 2, 3), keepdim=True)
        x_adv = torch.clamp(x_adv.detach() - alpha * g.sign(), x0 - eps, x0 + eps).clamp(0, 1)
    return x_adv.numpy()


def test_momentum_matches_the_reference_algorithm(model, batch):
    x, _ = batch
    eps, steps, mu = 0.1, 4, 1.0
    objective = ProxyObjective((2, 5), (0.7, 0.3))
    threat = ThreatModel(epsilon=eps, steps=steps)
    x_adv = TargetedMomentum(threat, momentum=mu, diversity_prob=0.0).generate(
        model, x, objective, 0
    )
    weights = torch.as_tensor(proxy_weights(objective, len(x), 10))
    alpha = threat.effective_step_size
    expected = _reference_mi_fgsm(model, x, weights, eps, alpha, steps, mu)
    assert np.mean(np.abs(x_adv - expected) <= 1e-6) > 0.99
    without_momentum = _reference_mi_fgsm(model, x, weights, eps, alpha, steps, 0.0)
    assert np.mean(np.abs(x_adv - without_momentum) <= 1e-6) < 0.99  # momentum matters


def test_per_image_objectives_equal_labels(model, batch):
    x, target = batch
    attack = TargetedMomentum(ThreatModel(epsilon=0.1, steps=5), diversity_prob=0.0)
    per_image = [ProxyObjective((int(t),)) for t in target]
    assert np.array_equal(
        attack.generate(model, x, per_image, 0), attack.generate(model, x, target, 0)
    )


def test_feature_heads_separate_classes_on_held_out_data(model, heads, digits):
    test = digits[1]
    assert heads.layer == "features" and heads.n_classes == 10 and heads.feature_dim == 256
    assert min(heads.balanced_accuracy) > 0.85
    with torch.no_grad():
        predicted = heads(model, torch.as_tensor(test.X)).argmax(1).numpy()
    assert np.mean(predicted == test.y) > 0.8


def test_feature_heads_on_a_hooked_inner_layer_and_mlp(model, digits):
    inner = train_feature_heads(model, "features.1", digits[0], epochs=5, hidden=8, random_state=0)
    again = train_feature_heads(model, "features.1", digits[0], epochs=5, hidden=8, random_state=0)
    assert inner.feature_dim == 8 * 8 * 8
    assert inner.balanced_accuracy == again.balanced_accuracy  # same seed, same heads
    assert min(inner.balanced_accuracy) > 0.7


# --- proxy objectives and errors ---------------------------------------------------------


def test_proxy_weights_rows():
    weights = proxy_weights(ProxyObjective((4, 1), (0.25, 0.75)), 3, 5)
    assert weights.shape == (3, 5) and weights.dtype == np.float32
    np.testing.assert_array_equal(weights[0], [0, 0.75, 0, 0, 0.25])
    assert ProxyObjective((2, 0)).weights == (0.5, 0.5)
    np.testing.assert_array_equal(proxy_weights(np.array([2, 0]), 2, 3), np.eye(3)[[2, 0]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"classes": (1, 2), "weights": (0.5, 0.6)}, "weights must sum to 1"),
        ({"classes": (1, 2), "weights": (1.5, -0.5)}, "weights must be finite and >= 0"),
        ({"classes": (1, 2), "weights": (1.0,)}, "one entry per class"),
        ({"classes": (1, 1)}, "classes must be distinct"),
        ({"classes": ()}, "classes must be one or more integers >= 0"),
        ({"classes": (-1,)}, "classes must be one or more integers >= 0"),
    ],
)
def test_proxy_objective_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ProxyObjective(**kwargs)


def test_proxy_outside_the_white_box_classes(model, batch):
    x, target = batch
    attack = TargetedMomentum(ThreatModel(epsilon=0.1, steps=2))
    with pytest.raises(ValueError, match=r"classes must lie in 0\.\.9"):
        attack.generate(model, x, ProxyObjective((10,)), 0)
    with pytest.raises(ValueError, match=r"objective \(proxy labels\) must lie in 0\.\.9"):
        attack.generate(model, x, target + 10, 0)
    with pytest.raises(ValueError, match=r"one ProxyObjective per image \(48\)"):
        attack.generate(model, x, [ProxyObjective((1,))], 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"momentum": -1.0}, "momentum must be a finite float >= 0"),
        ({"diversity_prob": 1.5}, r"diversity_prob must be a float in \[0, 1\]"),
        ({"resize_max": 1}, "resize_max must be an integer >= 2"),
    ],
)
def test_targeted_momentum_parameter_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TargetedMomentum(ThreatModel(epsilon=0.1), **kwargs)


def test_errors_at_run_time(model, heads, batch, digits):
    x, target = batch
    with pytest.raises(ValueError, match="ThreatModel.epsilon"):
        ThreatModel(epsilon=0.0)
    with pytest.raises(ValueError, match=r"resize_max must be an integer > the image size 8"):
        TargetedMomentum(ThreatModel(epsilon=0.1), resize_max=8).generate(model, x, target, 0)
    with pytest.raises(ValueError, match="layer must name a submodule"):
        train_feature_heads(model, "conv9", digits[0], epochs=1)
    with pytest.raises(ValueError, match="layer must be the layer the heads were trained on"):
        FeatureSpaceAttack(ThreatModel(epsilon=0.1), "features.1", heads)
    with pytest.raises(ValueError, match="output_weight must be a finite float >= 0"):
        FeatureSpaceAttack(ThreatModel(epsilon=0.1), "features", heads, output_weight=-1.0)
    other = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    with pytest.raises(ValueError, match="layer must name a submodule"):
        FeatureSpaceAttack(ThreatModel(epsilon=0.1), "features", heads).generate(
            other, x, target, 0
        )
    half = digits[0].subset(np.flatnonzero(digits[0].y < 5))
    with pytest.raises(ValueError, match=r"dataset labels must cover every class 0\.\.9"):
        train_feature_heads(model, "features", half, epochs=1)
    with pytest.raises(ValueError, match="hidden must be an integer >= 0"):
        train_feature_heads(model, "features", digits[0], hidden=-1)
