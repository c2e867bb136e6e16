"""BSQ's bit representation: decomposition, regularizer, re-quantization, precision adjustment."""

import numpy as np
import pytest
import torch
from torch import nn

from mlcore.quantization import (
    BitPlaneLayer,
    bit_group_lasso,
    from_bit_planes,
    to_bit_model,
    to_bit_planes,
)


@pytest.mark.parametrize("bits", range(1, 9))
def test_decomposition_is_exact(bits):
    rng = np.random.default_rng(bits)
    top = 2**bits - 1
    q = torch.tensor(rng.integers(-top, top + 1, size=(7, 5)), dtype=torch.float32)
    q[0, :3] = torch.tensor([top, -top, 0.0])
    pos, neg = to_bit_planes(q, bits)
    assert pos.shape == (7, 5, bits)
    assert set(torch.unique(torch.cat([pos, neg])).tolist()) <= {0.0, 1.0}
    assert not bool(((pos > 0) & (neg > 0)).any())  # sign-magnitude: one side per weight
    assert torch.equal(from_bit_planes(pos, neg), q)


def test_decomposition_rejects_out_of_range_and_fractions():
    with pytest.raises(ValueError, match="exceeds"):
        to_bit_planes(torch.tensor([8.0]), 3)
    with pytest.raises(ValueError, match="integer"):
        to_bit_planes(torch.tensor([1.5]), 3)


def _layer(bits=4, seed=0, conv=False):
    torch.manual_seed(seed)
    base = nn.Conv2d(2, 3, 3, padding=1) if conv else nn.Linear(6, 4)
    return BitPlaneLayer(base, bits), base


@pytest.mark.parametrize("conv", [False, True])
def test_initial_bits_represent_weight_within_half_step(conv):
    layer, base = _layer(5, conv=conv)
    step = float(layer.step().detach())
    err = (layer.weight() - base.weight).abs().max()
    assert err <= step / 2 + 1e-7
    x = torch.randn(2, 2, 5, 5) if conv else torch.randn(2, 6)
    assert torch.allclose(layer(x), base(x), atol=3 * step * x.abs().sum())


def test_regularizer_gradient_matches_finite_differences():
    torch.manual_seed(1)
    model = to_bit_model(
        nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 3)), 3
    ).double()
    for layer in (model[0], model[2]):  # continuous planes away from 0 (the norm is smooth)
        layer.pos.data = torch.rand_like(layer.pos) * 1.6 + 0.2
        layer.neg.data = torch.rand_like(layer.neg) * 1.6 + 0.2
    for memory_aware in (True, False):
        params = [model[0].pos, model[0].neg, model[2].pos, model[2].neg]
        grads = torch.autograd.grad(bit_group_lasso(model, memory_aware), params)
        h = 1e-6
        for p, g in zip(params, grads):
            flat = p.data.view(-1)
            for i in range(0, flat.numel(), max(1, flat.numel() // 7)):
                old = float(flat[i])
                flat[i] = old + h
                up = float(bit_group_lasso(model, memory_aware).detach())
                flat[i] = old - h
                down = float(bit_group_lasso(model, memory_aware).detach())
                flat[i] = old
                assert abs((up - down) / (2 * h) - float(g.view(-1)[i])) < 1e-6


def test_memory_aware_weight_is_share_of_bits():
    model = to_bit_model(nn.Sequential(nn.Linear(4, 2), nn.Linear(2, 2)), 4)
    for layer in (model[0], model[1]):
        layer.pos.data.fill_(1.0)
        layer.neg.data.fill_(0.0)
    # plane norms: sqrt(8) and sqrt(4); weights 8*4/12 and 4*4/12
    expected = 4 * (8 * 4 / 12 * np.sqrt(8) + 4 * 4 / 12 * np.sqrt(4))
    assert float(bit_group_lasso(model).detach()) == pytest.approx(expected, rel=1e-6)
    assert float(bit_group_lasso(model, memory_aware=False).detach()) == pytest.approx(
        4 * (np.sqrt(8) + 2), rel=1e-6
    )


@pytest.mark.parametrize("seed", range(4))
def test_requantization_moves_weights_by_at_most_half_a_step(seed):
    layer, _ = _layer(4, seed=seed, conv=seed % 2 == 1)
    layer.pos.data = torch.rand_like(layer.pos) * 2
    layer.neg.data = torch.rand_like(layer.neg) * 2
    step = float(layer.step().detach())
    continuous = step * from_bit_planes(layer.pos, layer.neg).detach()
    x = torch.randn(3, 2, 5, 5) if seed % 2 else torch.randn(3, 6)
    before = layer(x).detach()
    gained = layer.requantize()
    assert gained in (0, 1)
    assert set(torch.unique(torch.cat([layer.pos, layer.neg])).tolist()) <= {0.0, 1.0}
    assert (
        float((layer.weight() - continuous).detach().abs().max())
        <= float(layer.step().detach()) / 2 + 1e-6
    )
    assert float(layer.step().detach()) == pytest.approx(step, rel=1e-6)
    assert torch.allclose(layer(x), before, atol=1e-5)  # forward already rounds


def test_overflow_gains_a_bit_and_cap_coarsens_grid():
    layer, _ = _layer(3)
    layer.pos.data.fill_(2.0)
    layer.neg.data.fill_(0.0)
    assert layer.requantize() == 1 and layer.bits == 4  # sum = 2 * 7 = 14 needs 4 bits
    assert torch.all(layer.integer_weight() == 14)
    top, _ = _layer(8)
    top.pos.data.fill_(2.0)
    top.neg.data.fill_(0.0)
    step = float(top.step().detach())
    top.requantize()
    assert top.bits == 8 and float(top.step().detach()) == pytest.approx(2 * step)
    assert (
        float((top.weight() - step * 510).detach().abs().max())
        <= float(top.step().detach()) / 2 + 1e-6
    )


def test_precision_adjustment_drops_empty_planes_and_keeps_outputs():
    layer, _ = _layer(6, conv=True)
    q = torch.randint(-7, 8, layer.pos.shape[:-1]).float() * 2  # bits 0 and 4, 5 empty
    layer.pos.data, layer.neg.data = to_bit_planes(q, 6)
    x = torch.randn(2, 2, 6, 6)
    before = layer(x).detach()
    assert layer.adjust_precision() == 3
    assert layer.bits == 3
    assert torch.allclose(layer(x), before, rtol=1e-6, atol=1e-6)
    assert layer.adjust_precision() == 0  # nothing left to drop


def test_all_zero_layer_goes_to_zero_bits():
    layer, _ = _layer(3)
    layer.pos.data.zero_()
    layer.neg.data.zero_()
    assert layer.adjust_precision() == 3 and layer.bits == 0
    assert torch.equal(layer.weight(), torch.zeros(4, 6))


def test_sparse_planes_removed_above_threshold_only():
    layer, _ = _layer(4)
    q = torch.full(layer.pos.shape[:-1], 2.0)
    q[0, 0] = 9.0  # one weight (1/24) uses the MSB and the LSB
    layer.pos.data, layer.neg.data = to_bit_planes(q, 4)
    assert layer.adjust_precision(threshold=0.0) == 0
    # 9 -> clipped to 7 (bit 3 gone) -> 3 (bit 2 used by 1/24 only) -> LSB used by 1/24: q / 2
    assert layer.adjust_precision(threshold=0.05) == 3
    assert layer.bits == 1
    assert sorted(torch.unique(layer.integer_weight()).tolist()) == [1.0]


def test_fixed_precision_copy_has_same_outputs():
    layer, _ = _layer(5)
    layer.pos.data = torch.rand_like(layer.pos) * 2
    layer.requantize()
    fixed = layer.to_fixed()
    x = torch.randn(4, 6)
    assert fixed.bits == layer.bits
    assert torch.allclose(fixed(x), layer(x), atol=1e-6)
