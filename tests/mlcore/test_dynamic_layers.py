"""mlcore.dynamic: configurable convolutions, the configuration space and the network's three
ways of running (one configuration, all of them with shared prefixes, one per image)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

from mlcore.dynamic.cost import count_macs
from mlcore.dynamic.layers import ConfigurableConv2d
from mlcore.dynamic.network import StriderNet
from mlcore.dynamic.options import (
    STRIDE_OPTIONS,
    UPSAMPLE_OPTIONS,
    ConfigurationSpace,
    StrideOption,
)


def _conv(stride=1, bias=False, seed=0):
    torch.manual_seed(seed)
    return nn.Conv2d(3, 5, 3, stride=stride, padding=1, bias=bias)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("bias", [False, True])
def test_default_option_is_the_wrapped_convolution_exactly(stride, bias):
    conv = _conv(stride, bias)
    layer = ConfigurableConv2d(conv, UPSAMPLE_OPTIONS)
    x = torch.randn(2, 3, 9, 7)
    assert layer.options[layer.default] == StrideOption("conv", (stride, stride))
    assert torch.equal(layer(x), conv(x))
    assert layer.conv is conv  # wrapped, no new weights
    assert sum(p.numel() for p in layer.parameters()) == sum(p.numel() for p in conv.parameters())


def test_every_option_has_the_shape_its_stride_gives_and_reuses_the_weights():
    conv = _conv(bias=True)
    layer = ConfigurableConv2d(conv, UPSAMPLE_OPTIONS)
    x = torch.randn(2, 3, 9, 7)
    for i, opt in enumerate(UPSAMPLE_OPTIONS):
        out = layer(x, i)
        sh, sw = opt.stride
        want = (math.ceil(9 / sh), math.ceil(7 / sw)) if opt.kind == "conv" else (9 * sh, 7 * sw)
        assert out.shape == (2, 5, *want), opt
    # a stride-1 transposed option with the flipped, swapped kernel is the ordinary convolution
    same = ConfigurableConv2d(
        conv, (StrideOption("conv", (1, 1)), StrideOption("transposed", (1, 1)))
    )
    torch.testing.assert_close(same(x, 1), conv(x), atol=1e-5, rtol=1e-5)
    # upsampling by 2 = zeros inserted after every input pixel, then the same 3x3 filter
    up = layer(x, UPSAMPLE_OPTIONS.index(StrideOption("transposed", (2, 2))))
    dilated = torch.zeros(2, 3, 18, 14)
    dilated[:, :, ::2, ::2] = x
    ref = nn.functional.conv2d(nn.functional.pad(dilated, (1, 1, 1, 1)), conv.weight, conv.bias)
    torch.testing.assert_close(up, ref, atol=1e-5, rtol=1e-5)


def test_bad_layers_and_options_name_themselves():
    with pytest.raises(TypeError, match="conv must be a torch.nn.Conv2d; got Linear"):
        ConfigurableConv2d(nn.Linear(3, 3))
    with pytest.raises(TypeError, match="got ConvTranspose2d"):
        ConfigurableConv2d(nn.ConvTranspose2d(3, 3, 3, padding=1))
    with pytest.raises(ValueError, match="padding kernel // 2"):
        ConfigurableConv2d(nn.Conv2d(3, 3, 3))
    layer = ConfigurableConv2d(_conv())
    with pytest.raises(ValueError, match=r"option must be an index in \[0, 3\]"):
        layer(torch.randn(1, 3, 4, 4), 4)
    with pytest.raises(ValueError, match="default: no option"):
        ConfigurableConv2d(_conv(stride=2), (StrideOption("conv", (1, 1)),))
    with pytest.raises(ValueError, match="StrideOption.kind"):
        StrideOption("dilated", (1, 1))


def _brute_force(options, bounds, start):
    """Every product of options whose cumulative downsampling stays within the bounds."""
    valid = []
    for combo in itertools.product(range(len(options)), repeat=len(bounds)):
        h = w = float(start)
        ok = True
        for o, (lo, hi) in zip(combo, bounds):
            sh, sw = options[o].stride
            up = options[o].kind == "transposed"
            h, w = (h / sh, w / sw) if up else (h * sh, w * sw)
            ok &= lo <= h <= hi and lo <= w <= hi
        valid.append(combo) if ok else None
    return valid


def test_enumeration_is_exactly_the_configurations_within_the_bounds():
    # the reference's ResNet-50 layout (start 4, bounds [4, 64] then [8, 64]), seven options
    bounds = [(4, 64), (4, 64), (8, 64), (8, 64)]
    space = ConfigurationSpace(UPSAMPLE_OPTIONS, (0, 3, 3, 3), bounds, start=4)
    assert list(space.configurations) == _brute_force(UPSAMPLE_OPTIONS, bounds, 4)
    # counts with the first k layers dynamic (the paper notes' re-implementation of the code)
    assert [len(space.restricted(k)) for k in (1, 2, 3, 4)] == [4, 21, 63, 328]
    four = ConfigurationSpace(STRIDE_OPTIONS, (0, 3, 3, 3), (4, 64), start=4)
    assert [len(four.restricted(k)) for k in (1, 2, 3, 4)] == [4, 16, 64, 256]
    tight = ConfigurationSpace(STRIDE_OPTIONS, (0, 3, 3, 3), (1, 8), start=1)
    assert len(tight) == 256 - 31  # four halvings of one axis (16 + 16 - 1) leave the bounds
    for c in tight.configurations:
        assert all(1 <= h <= 8 and 1 <= w <= 8 for h, w in tight.downsampling(c))


def test_configurations_outside_the_space_are_refused_with_the_reason():
    space = ConfigurationSpace(UPSAMPLE_OPTIONS, (0, 3, 3, 3), [(4, 64)] * 2 + [(8, 64)] * 2, 4)
    with pytest.raises(ValueError, match="leaves the downsampling bounds"):
        space.check((4, 3, 3, 3))  # upsampling at A: 2 < 4
    with pytest.raises(ValueError, match=r"configuration\[2\] must be an option index in \[0, 6\]"):
        space.check((0, 3, 7, 3))
    with pytest.raises(ValueError, match="one option per dynamic layer"):
        space.check((0, 3))
    with pytest.raises(ValueError, match="layer 1 is not dynamic"):
        space.restricted(1).check((0, 0, 3, 3))
    with pytest.raises(ValueError, match="default configuration .* outside the bounds"):
        ConfigurationSpace(STRIDE_OPTIONS, (3, 3, 3, 3), (1, 8))
    net = StriderNet(widths=(2, 2, 2, 2))
    with pytest.raises(ValueError, match="configuration"):
        net(torch.zeros(1, 1, 28, 28), (0, 0, 9, 0))


def _tiny(**kw):
    torch.manual_seed(0)
    return StriderNet(widths=(3, 4, 4, 5), **kw).eval()


def test_every_configuration_runs_with_the_shapes_its_strides_predict():
    net = _tiny(options=UPSAMPLE_OPTIONS, bounds=(2, 32))
    sizes = []
    for block in net.dynamic:
        block.register_forward_hook(lambda m, i, o: sizes.append(tuple(o.shape[-2:])))
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        for config in net.space.configurations:
            sizes.clear()
            assert net(x, config).shape == (2, 10)
            h = w = 14  # after the stride-2 stem
            for (got_h, got_w), o in zip(sizes, config):
                opt = net.space.options[o]
                sh, sw = opt.stride
                if opt.kind == "conv":
                    h, w = math.ceil(h / sh), math.ceil(w / sw)
                else:
                    h, w = h * sh, w * sw
                assert (got_h, got_w) == (h, w), net.space.describe(config)


def test_shared_prefix_evaluation_equals_one_configuration_at_a_time():
    net = _tiny(options=UPSAMPLE_OPTIONS, bounds=(2, 32))
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        shared = net.forward_all(x)
        single = torch.stack([net(x, c) for c in net.space.configurations])
    torch.testing.assert_close(shared, single, atol=1e-5, rtol=1e-5)
    subset = net.space.configurations[::7]
    with torch.no_grad():
        torch.testing.assert_close(net.forward_all(x, subset), single[::7], atol=1e-5, rtol=1e-5)


def test_routed_forward_follows_each_images_choice():
    net = _tiny()
    x = torch.randn(6, 1, 28, 28)
    rng = np.random.default_rng(0)
    picks = [net.space.configurations[i] for i in rng.choice(len(net.space), 6)]
    table = torch.tensor(picks)

    def choose(layer, h, prefix, pos):
        return table[pos, layer]

    with torch.no_grad():
        logits, chosen = net.forward_routed(x, choose)
        for i, c in enumerate(picks):
            torch.testing.assert_close(
                logits[i : i + 1], net(x[i : i + 1], c), atol=1e-5, rtol=1e-5
            )
    assert chosen.tolist() == [list(c) for c in picks]
    with pytest.raises(ValueError, match="option must be an index"):
        with torch.no_grad():
            net.forward_routed(x, lambda layer, h, prefix, pos: torch.full((len(h),), 9))
    up = _tiny(options=UPSAMPLE_OPTIONS, bounds=(2, 32))
    with pytest.raises(ValueError, match="chooser: image 0 got configuration .* outside"):
        with torch.no_grad():  # upsampling by 2 at every layer: below the bound 2 after A
            up.forward_routed(x, lambda layer, h, prefix, pos: torch.full((len(h),), 6))


def test_mac_counts_follow_the_shapes():
    net = _tiny()
    x = torch.randn(2, 1, 28, 28)
    conv = net.stem[0]
    stem = 14 * 14 * conv.out_channels * conv.in_channels * 9
    assert count_macs([net.stem], lambda: net.stem(x)) == 2 * stem
    static = count_macs([net], lambda: net(x))
    fine = count_macs([net], lambda: net(x, (0, 0, 0, 0)))  # no downsampling: more work
    loop = count_macs([net], lambda: [net(x, c) for c in net.space.configurations])
    shared = count_macs([net], lambda: net.forward_all(x))
    assert static < fine and shared < loop
    assert loop > len(net.space) * count_macs([net], lambda: net(x, (3, 3, 3, 3)))
