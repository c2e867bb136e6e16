"""mlcore.privacy: the representation leak, Soteria, its certified bound, the baselines."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from mlcore.federated import Client, ClientTask, FedAvg, LocalTraining, local_update
from mlcore.models import DLGLeNet
from mlcore.privacy import (
    DPGaussian,
    GradientPruning,
    Soteria,
    SoteriaOptions,
    UnclippedNoise,
    certified_bound,
    conv_operator_norm_bound,
    defended_layer,
    lipschitz_bound,
    mask_gradient,
    pseudo_inverse_scores,
    reconstruction_metrics,
    recover_representation,
    representation,
    soteria_defend,
    soteria_mask,
    soteria_scores,
)
from mlcore.rng import global_rng_seeded

loss_fn = nn.functional.cross_entropy


def dlg_lenet(seed=0, image_size=8):
    with global_rng_seeded(seed):
        return DLGLeNet(image_size=image_size)


def bn_net(seed=0):
    """conv - BatchNorm - ReLU - max-pool - fc on 1 x 8 x 8 inputs (samples coupled in train)."""
    with global_rng_seeded(seed):
        return nn.Sequential(
            nn.Conv2d(1, 3, 3, padding=1),
            nn.BatchNorm2d(3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(48, 10),
        )


def images(n, size=8, seed=0):
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed))


def labels(n, seed=0, n_classes=4):
    return torch.randint(0, n_classes, (n,), generator=torch.Generator().manual_seed(seed))


def gradients(model, x, y):
    model.zero_grad()
    loss_fn(model(x), y).backward()
    return {k: p.grad.detach().double().clone() for k, p in model.named_parameters()}


def fc_gradients_with_r(model, x, y, r_new):
    """Gradient of a forward pass in which the fc layer's input is replaced by ``r_new``."""
    handle = model.fc.register_forward_pre_hook(lambda m, inputs: (r_new,))
    try:
        loss = loss_fn(model(x), y)
    finally:
        handle.remove()
    weight, bias = torch.autograd.grad(loss, [model.fc.weight, model.fc.bias])
    return {"fc.weight": weight.double(), "fc.bias": bias.double()}


# -- the leak ------------------------------------------------------------------------------
def test_one_sample_weight_gradient_is_rank_one_and_leaks_r():
    model, x, y = dlg_lenet(), images(1), labels(1)
    g = gradients(model, x, y)
    r = representation(model, x)[0].double()
    singular = torch.linalg.svdvals(g["fc.weight"])
    assert singular[1] < 1e-6 * singular[0]
    for i in range(g["fc.bias"].shape[0]):  # any row divided by its bias gradient
        assert torch.allclose(g["fc.weight"][i] / g["fc.bias"][i], r, rtol=1e-4, atol=1e-6)
    assert torch.allclose(recover_representation(g["fc.weight"], g["fc.bias"]), r, rtol=1e-5)
    two = gradients(model, images(2), labels(2))
    with pytest.raises(ValueError, match="not rank one"):
        recover_representation(two["fc.weight"], two["fc.bias"])
    with pytest.raises(ValueError, match="bias_grad"):
        recover_representation(g["fc.weight"], g["fc.bias"][:3])


def test_masked_gradient_is_original_bias_gradient_times_pruned_r():
    model, x, y = dlg_lenet(), images(1), labels(1)
    g = gradients(model, x, y)
    result = soteria_defend(model, x, g, {"pruning_rate": 50})
    r = representation(model, x).double()
    r_pruned = r * result.mask
    assert 0 < result.mask.sum() < r.shape[1]
    expected = torch.outer(g["fc.bias"], r_pruned[0])
    torch.testing.assert_close(result.gradients["fc.weight"], expected, rtol=1e-5, atol=1e-9)
    for key in g:  # bias and every other tensor unchanged
        if key != "fc.weight":
            assert torch.equal(result.gradients[key], g[key])
    # ... and NOT the gradient of a forward pass with r' (that would change dL/db)
    rerun = fc_gradients_with_r(model, x, y, r_pruned.float())
    assert not torch.allclose(rerun["fc.bias"], g["fc.bias"], rtol=1e-3)
    assert not torch.allclose(rerun["fc.weight"], result.gradients["fc.weight"], rtol=1e-3)


# -- scores --------------------------------------------------------------------------------
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("make", [dlg_lenet, bn_net])
def test_batched_scores_equal_reference_loop(batch, make):
    model, x = make(), images(batch, seed=batch)
    loop = soteria_scores(model, x, method="loop")
    for method in ("batched", "forward"):
        scores = soteria_scores(model, x, method=method)
        torch.testing.assert_close(scores, loop, rtol=1e-5, atol=1e-8)
        for rate in (10, 50, 90):
            assert torch.equal(soteria_mask(scores, rate), soteria_mask(loop, rate))
    small_chunks = soteria_scores(model, x, chunk_size=7)
    torch.testing.assert_close(small_chunks, loop, rtol=1e-5, atol=1e-8)
    g = gradients(model, x, labels(batch))
    masks = [soteria_defend(model, x, g, {"method": m}).mask for m in ("auto", "loop")]
    assert torch.equal(masks[0], masks[1])


def test_mask_prunes_smallest_scores_at_the_rate():
    scores = torch.arange(100, dtype=torch.float64).flip(0)
    mask = soteria_mask(scores, 30)
    assert int((~mask).sum()) == 30
    assert bool(scores[~mask].max() < scores[mask].min())
    assert bool(soteria_mask(scores, 0).all())


def linear_feature_net(seed, orthogonal):
    """flatten - Linear(16, 8) - sigmoid - Linear(8, 3): J = diag(sigmoid') W, whose rows are
    orthogonal exactly when W's are (otherwise: strongly correlated rows)."""
    gen = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.Sigmoid(), nn.Linear(8, 3))
    W = torch.randn(8, 16, generator=gen) + 2 * torch.randn(1, 16, generator=gen)
    if orthogonal:
        q, _ = torch.linalg.qr(torch.randn(16, 16, generator=gen))
        W = torch.linspace(0.5, 3.0, 8)[:, None] * q[:8]
    with torch.no_grad():
        model[1].weight.copy_(W)
        model[1].bias.copy_(0.3 * torch.randn(8, generator=gen))
    return model


def test_pseudo_inverse_score_equals_reference_ranking_for_orthogonal_jacobian_rows():
    x = images(1, size=4, seed=3)
    model = linear_feature_net(0, orthogonal=True)
    reference = soteria_scores(model, x, "3", offset=0.0)
    paper = pseudo_inverse_scores(model, x, "3")
    torch.testing.assert_close(reference * paper, torch.ones(8, dtype=torch.float64))
    for rate in (20, 50, 80):
        assert torch.equal(soteria_mask(reference, rate), soteria_mask(-paper, rate))
    model = linear_feature_net(0, orthogonal=False)
    reference = soteria_scores(model, x, "3", offset=0.0)
    paper = pseudo_inverse_scores(model, x, "3")
    assert not torch.equal(torch.argsort(reference), torch.argsort(-paper))


# -- certified bound -----------------------------------------------------------------------
def relu_feature_net(seed=0):
    with global_rng_seeded(seed):
        return nn.Sequential(
            nn.Conv2d(1, 2, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(18, 3)
        )


def test_conv_norm_bound_is_an_upper_bound_and_tight():
    conv = relu_feature_net()[0]
    x = images(1, size=6)
    dense = torch.autograd.functional.jacobian(lambda z: conv(z) - conv.bias[:, None, None], x)
    exact = float(torch.linalg.matrix_norm(dense.reshape(18, 36).double(), ord=2))
    bound = conv_operator_norm_bound(conv, (6, 6))
    assert exact <= bound <= 2 * exact


def test_certified_bound_holds_for_numerical_exact_matches():
    model, x = relu_feature_net(), images(1, size=6, seed=1)
    r = representation(model, x)[0]
    mask = torch.ones(18, dtype=torch.bool)
    mask[torch.nonzero(r > 0).flatten()[:4]] = False  # prune four active elements
    target = r * mask
    bound = certified_bound(model, x, mask)
    assert bound.distance_lower_bound > 0 and bound.representation_change > 0
    assert bound.lipschitz == pytest.approx(lipschitz_bound(model, x))
    for start in range(4):  # L ||X* - x|| >= ||r - f(X*)|| >= ||r - r'|| - ||f(X*) - r'||
        z = match_representation(model[:3], target, x + 0.1 * images(1, size=6, seed=10 + start))
        with torch.no_grad():
            mismatch = float(torch.linalg.vector_norm(model[:3](z) - target))
        assert mismatch < 1e-4
        slack = mismatch / bound.lipschitz
        assert float(torch.linalg.vector_norm(z - x)) >= bound.distance_lower_bound - slack


def match_representation(features, target, start):
    """X* with features(X*) = target, by L-BFGS on the squared mismatch from ``start``."""
    z = start.clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS(
        [z], max_iter=500, tolerance_grad=1e-12, line_search_fn="strong_wolfe"
    )

    def closure():
        optimizer.zero_grad()
        loss = ((features(z) - target) ** 2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return z.detach()


def test_lipschitz_bound_refuses_what_it_cannot_bound():
    x = images(1)
    gelu = nn.Sequential(nn.Conv2d(1, 2, 3), nn.GELU(), nn.Flatten(), nn.Linear(72, 2))
    with pytest.raises(ValueError, match="GELU"):
        lipschitz_bound(gelu, x)
    with pytest.raises(ValueError, match="eval"):
        lipschitz_bound(bn_net(), x)
    with pytest.raises(ValueError, match="dilation"):
        conv_operator_norm_bound(nn.Conv2d(1, 2, 3, dilation=2), (8, 8))

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.fc = nn.Conv2d(1, 1, 3, padding=1), nn.Linear(64, 2)

        def forward(self, z):
            return self.fc((z + self.conv(z)).flatten(1))

    with pytest.raises(ValueError, match="chain"):
        lipschitz_bound(Residual(), x)
    model = bn_net().eval()
    assert lipschitz_bound(model, x) > 0


# -- transforms in FedAvg ------------------------------------------------------------------
def fed_setup(share):
    X, y = images(24, seed=5), labels(24, seed=5, n_classes=10)
    steps = {"local_steps": 1} if share == "gradient" else {"local_epochs": 1}
    training = LocalTraining(batch_size=6, lr=0.1, **steps)
    clients = [Client(np.arange(0, 12), training), Client(np.arange(12, 24), training)]
    return clients, X, y


@pytest.mark.parametrize("share", ["gradient", "delta"])
def test_soteria_through_fedavg_changes_only_the_defended_weight(share):
    clients, X, y = fed_setup(share)
    model = dlg_lenet()
    results = {}
    for name, transform in (
        ("plain", None),
        ("soteria", Soteria({"pruning_rate": 70, "max_samples": 5})),
    ):
        sim = FedAvg(clients, X, y, options={"share": share}, transform=transform, progress=False)
        results[name] = sim.run(1, model).model.state_dict()
    for key, value in results["plain"].items():
        if key == "fc.weight":
            assert not torch.equal(value, results["soteria"][key])
        else:
            assert torch.equal(value, results["soteria"][key]), key


def client_update(model, share="gradient"):
    clients, X, y = fed_setup(share)
    task = ClientTask(client=0, round=1, seed=1, round_seed=2, step_offset=0)
    return local_update(clients[0], task, model, X, y, kind=share)


@pytest.mark.parametrize(
    "transform, make",
    [
        (Soteria({"pruning_rate": 50}), bn_net),
        (Soteria({"pruning_rate": 50, "score": "pseudo_inverse"}), dlg_lenet),
        (GradientPruning(50), bn_net),
        (DPGaussian(1.0, 1.0), dlg_lenet),
        (UnclippedNoise(0.1), bn_net),
    ],
)
def test_defenses_never_change_the_models_forward_pass(transform, make):
    update = client_update(make())
    model = update.context.model
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        before = model.eval()(update.context.X).clone()
    model.train()
    out = transform(update, torch.Generator().manual_seed(0))
    assert model.training
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    with torch.no_grad():
        assert torch.equal(model.eval()(update.context.X), before)
    assert out.tensors.keys() == update.tensors.keys()


def test_transforms_need_the_context():
    update = client_update(dlg_lenet()).replace(context=None)
    for transform in (Soteria(), DPGaussian()):
        with pytest.raises(ValueError, match="context"):
            transform(update, torch.Generator())


# -- baselines -----------------------------------------------------------------------------
def test_dp_gaussian_clips_each_sample_to_clip_norm():
    update = client_update(dlg_lenet())
    ctx = update.context
    per_sample = []
    for xb, yb in zip(ctx.X, ctx.y):
        g = gradients(ctx.model, xb[None], yb[None])
        per_sample.append(torch.cat([v.flatten() for v in g.values()]))
    per_sample = torch.stack(per_sample)
    norms = torch.linalg.vector_norm(per_sample, dim=1)
    clip = float(norms.median())
    assert (norms > clip * 1.01).any()  # clipping is active for some samples
    clipped = per_sample * torch.clamp(clip / norms, max=1.0)[:, None]
    assert (torch.linalg.vector_norm(clipped, dim=1) <= clip * (1 + 1e-9)).all()
    shared = DPGaussian(clip, 0.0)(update, torch.Generator().manual_seed(0)).tensors
    flat = torch.cat([v.flatten() for v in shared.values()])
    torch.testing.assert_close(flat, clipped.mean(0), rtol=1e-5, atol=1e-8)
    noisy = DPGaussian(clip, 2.0)(update, torch.Generator().manual_seed(0)).tensors
    noise = torch.cat([v.flatten() for v in noisy.values()]) - flat
    expected = 2.0 * clip / ctx.X.shape[0]
    assert float(noise.std()) == pytest.approx(expected, rel=0.1)


def test_dp_gaussian_refuses_delta_shares_and_modified_gradients():
    update = client_update(dlg_lenet(), share="delta")
    with pytest.raises(ValueError, match="kind='gradient'.*delta"):
        DPGaussian()(update, torch.Generator())
    update = client_update(dlg_lenet())
    pruned = GradientPruning(50)(update, torch.Generator())
    with pytest.raises(ValueError, match="first in a Compose"):
        DPGaussian()(pruned, torch.Generator())


def test_epsilon_decreases_with_noise_multiplier():
    eps = [DPGaussian(1.0, s, 1e-5).epsilon(100, 0.01) for s in (0.6, 1.0, 2.0, 4.0)]
    assert all(a > b > 0 for a, b in zip(eps, eps[1:]))
    assert DPGaussian(1.0, 0.0).epsilon(100, 0.01) == math.inf
    with pytest.raises(ValueError, match="sample_rate"):
        DPGaussian().epsilon(10, 1.5)


def test_gradient_pruning_zeroes_the_rate_in_every_tensor():
    update = client_update(dlg_lenet())
    out = GradientPruning(30)(update, torch.Generator()).tensors
    for key, value in update.tensors.items():
        zeroed = (out[key] == 0) & (value != 0)
        n, already = value.numel(), int((value == 0).sum())  # e.g. kernel taps seeing padding
        if already < 0.3 * n:
            assert abs(int((out[key] == 0).sum()) / n - 0.30) <= 1 / n + 1e-12, key
        else:
            assert not zeroed.any(), key
        kept = out[key] != 0
        assert torch.equal(out[key][kept], value[kept])
        if zeroed.any() and kept.any():
            assert value[zeroed].abs().max() <= value[kept].abs().min()


def test_unclipped_noise_is_laplace_and_reproducible():
    update = client_update(dlg_lenet())
    transform = UnclippedNoise(0.1)
    a = transform(update, torch.Generator().manual_seed(7)).tensors
    b = transform(update, torch.Generator().manual_seed(7)).tensors
    assert all(torch.equal(a[k], b[k]) for k in a)
    noise = torch.cat([(a[k] - update.tensors[k]).flatten() for k in a])
    assert float(noise.var()) == pytest.approx(2 * 0.1**2, rel=0.15)  # Laplace: 2 b^2


# -- bad input -----------------------------------------------------------------------------
def test_bad_input_names_the_field():
    for rate in (100, -1, 150.0):
        with pytest.raises(ValueError, match="pruning_rate"):
            SoteriaOptions(pruning_rate=rate)
        with pytest.raises(ValueError, match="GradientPruning.pruning_rate"):
            GradientPruning(rate)
        with pytest.raises(ValueError, match="pruning_rate"):
            soteria_mask(torch.ones(5), rate)
    conv_only = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten())
    with pytest.raises(ValueError, match=r"torch.nn.Linear.*layer"):
        defended_layer(conv_only)
    with pytest.raises(ValueError, match="layer='0'"):
        defended_layer(bn_net(), "0")
    model, x, y = dlg_lenet(), images(1), labels(1)
    g = gradients(model, x, y)
    with pytest.raises(ValueError, match=r"gradients\['fc.bias'\].*\(3,\).*\(10,\)"):
        soteria_defend(model, x, {**g, "fc.bias": g["fc.bias"][:3]})
    with pytest.raises(ValueError, match="mask"):
        mask_gradient(g, "fc", torch.ones(5, dtype=torch.bool))
    with pytest.raises(ValueError, match="fc2.weight"):
        mask_gradient(g, "fc2", torch.ones(48, dtype=torch.bool))
    with pytest.raises(ValueError, match="clip_norm"):
        DPGaussian(clip_norm=0.0)
    with pytest.raises(ValueError, match="distribution"):
        UnclippedNoise(0.1, "cauchy")


# -- metrics -------------------------------------------------------------------------------
def test_reconstruction_metrics():
    x = images(3, size=16)
    same = reconstruction_metrics(x, x)
    assert np.all(same.mse == 0) and np.all(np.isinf(same.psnr))
    np.testing.assert_allclose(same.ssim, 1.0, atol=1e-6)
    noisy = (x + 0.1 * images(3, size=16, seed=9)).clamp(0, 1)
    m = reconstruction_metrics(x, noisy)
    mse = ((noisy - x) ** 2).flatten(1).mean(1).double().numpy()
    np.testing.assert_allclose(m.mse, mse, rtol=1e-6)
    np.testing.assert_allclose(m.mse_normalized, mse / 0.3081**2, rtol=1e-6)
    np.testing.assert_allclose(m.psnr, 10 * np.log10(1 / mse), rtol=1e-5)
    assert np.all(m.ssim < 1) and m.median()["mse"] == pytest.approx(np.median(mse))
    with pytest.raises(ValueError, match="same shape"):
        reconstruction_metrics(x, x[:2])
    with pytest.raises(ValueError, match="11 x 11"):
        reconstruction_metrics(images(1), images(1))


def test_soteria_on_a_delta_share_zeroes_the_pruned_columns_of_the_weight_change():
    update = client_update(dlg_lenet(), share="delta")
    out = Soteria({"pruning_rate": 50, "max_samples": 4})(update, torch.Generator().manual_seed(0))
    zero_columns = (out.tensors["fc.weight"] == 0).all(dim=0)
    assert int(zero_columns.sum()) == 24  # half of the 48 elements of DLGLeNet at 8 x 8
    kept = ~zero_columns
    assert torch.equal(out.tensors["fc.weight"][:, kept], update.tensors["fc.weight"][:, kept])
