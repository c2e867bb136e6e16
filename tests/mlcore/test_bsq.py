"""BSQ end to end on scikit-learn digits, the scheme as data, and input validation."""

import pytest
import torch
from mlcore_test_helpers import tiny_mlp
from torch import nn

from mlcore.quantization import (
    BSQ,
    BitPlaneLayer,
    QuantizationScheme,
    apply_scheme,
    quantize_uniform,
    scheme_of,
    to_bit_model,
)
from mlcore.training import evaluate, fit


@pytest.fixture(scope="module")
def pretrained(digits):
    train, test = digits
    model = tiny_mlp()
    fit(model, train, epochs=15, lr=3e-3, seed=0, progress=False)
    return model


def test_alpha_trades_bits_for_accuracy(digits, pretrained):
    train, test = digits
    acc_fp = evaluate(pretrained, test)
    assert acc_fp > 0.9
    kw = dict(epochs=6, requant_interval=3, finetune_epochs=2, progress=False, seed=0)
    free = BSQ(alpha=0.0, **kw).fit(pretrained, train)
    strong = BSQ(alpha=0.3, **kw).fit(pretrained, train)
    assert free.scheme_.average_bits >= 7.5  # no regularizer: planes stay (or gain a bit)
    assert strong.scheme_.average_bits < free.scheme_.average_bits - 2
    assert free.score(test) > acc_fp - 0.03
    assert strong.scheme_.compression == pytest.approx(32 / strong.scheme_.average_bits)
    assert len(strong.adjustments_) == 2  # at epochs 3 and 6
    assert all(
        isinstance(m, BitPlaneLayer)
        for m in strong.bit_model_.modules()
        if isinstance(m, nn.Linear | BitPlaneLayer)
    )


def test_scheme_numbers_and_round_trip(tmp_path):
    scheme = QuantizationScheme({"a": 2, "b": 4}, {"a": 100, "b": 300})
    assert scheme.total_bits == 1400
    assert scheme.average_bits == pytest.approx(3.5)
    assert scheme.compression == pytest.approx(32 * 400 / 1400)
    scheme.save(tmp_path / "s.json")
    assert QuantizationScheme.load(tmp_path / "s.json") == scheme


def test_uniform_quantization_scheme(pretrained):
    q = quantize_uniform(pretrained, 3)
    assert scheme_of(q).layers == {"1": 3, "3": 3}
    back = apply_scheme(pretrained, scheme_of(q))
    x = torch.randn(5, 1, 8, 8)
    assert torch.allclose(back(x), q(x))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"alpha": -0.1}, "alpha"),
        ({"alpha": float("nan")}, "alpha"),
        ({"bits": 0}, "bits"),
        ({"bits": 9}, "bits"),
        ({"bits": 2.5}, "bits"),
        ({"requant_interval": 0}, "requant_interval"),
        ({"threshold": 1.0}, "threshold"),
    ],
)
def test_bad_parameters_raise(digits, pretrained, kwargs, match):
    with pytest.raises(ValueError, match=match):
        BSQ(**kwargs).fit(pretrained, digits[0])


def test_model_without_quantizable_layer_raises(digits):
    with pytest.raises(ValueError, match="no quantizable layer"):
        BSQ().fit(nn.Sequential(nn.Flatten(), nn.ReLU()), digits[0])
    with pytest.raises(ValueError, match="no quantizable layer"):
        to_bit_model(nn.Sequential(nn.ReLU()))
    with pytest.raises(ValueError, match="bits"):
        quantize_uniform(tiny_mlp(), 12)


def test_resnet20_bit_representation_round_trip():
    from mlcore.models import ResNet20
    from mlcore.quantization import adjust_model_precision, requantize_model, scheme_of

    torch.manual_seed(0)
    net = ResNet20(in_channels=1, width=4).eval()
    bits = to_bit_model(net, 6).eval()
    x = torch.rand(2, 1, 16, 16)
    before = bits(x).detach()
    assert requantize_model(bits) == 0  # already exact bits
    adjust_model_precision(bits)
    assert torch.allclose(bits(x), before, atol=1e-5)
    scheme = scheme_of(bits)
    assert (
        len(scheme.layers) == 22 and max(scheme.layers.values()) <= 6
    )  # 19 + 2 shortcut convs, fc
    assert torch.allclose(net(x), before, atol=0.05 * before.abs().max())
