"""mlcore.attacks.inversion: DLG recovers a digit, iDLG recovers labels, Inverting Gradients
makes progress, exclusion removes a tensor from the loss, the caller's state is untouched,
bad input is refused by name, and the same rng gives the same images."""

import random

import numpy as np
import pytest
import torch
from mlcore_test_helpers import tiny_mlp

from mlcore.attacks import GradientInversionAttack
from mlcore.attacks.inversion import (
    DLG,
    DLGOptions,
    InvertingGradients,
    InvertingGradientsOptions,
    adaptive_exclude,
    infer_labels,
)
from mlcore.attacks.inversion._matching import MatchingProblem
from mlcore.models import ConvNet, DLGLeNet
from mlcore.rng import global_rng_seeded, seed_from

SHAPE = (1, 28, 28)


@pytest.fixture(scope="module")
def mnist():
    from mlcore.data import load_mnist_subset

    data = load_mnist_subset()
    first = [int(np.flatnonzero(data.y == c)[0]) for c in range(10)]
    return data.X[first], data.y[first]  # one digit per class, class c at index c


@pytest.fixture(scope="module")
def lenet():
    with global_rng_seeded(0):
        return DLGLeNet()


@pytest.fixture(scope="module")
def convnet():
    with global_rng_seeded(0):
        return ConvNet(width=8).eval()


def shared_gradient(model, x, y) -> dict[str, torch.Tensor]:
    """What a client shares (``ClientUpdate.tensors`` of a gradient share): float64."""
    loss = torch.nn.functional.cross_entropy(model(torch.as_tensor(x)), torch.as_tensor(y))
    names = [n for n, _ in model.named_parameters()]
    grads = torch.autograd.grad(loss, list(model.parameters()))
    return {n: g.detach().double() for n, g in zip(names, grads, strict=True)}


def pixel_mse(a, b) -> float:
    return float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))


FAST = {
    "dlg": lambda **kw: DLG(DLGOptions(iterations=2, max_eval=5), **kw),
    "gs": lambda **kw: InvertingGradients(InvertingGradientsOptions(iterations=3), **kw),
}


def test_attacks_fit_the_protocol():
    assert isinstance(DLG(), GradientInversionAttack)
    assert isinstance(InvertingGradients(), GradientInversionAttack)


@pytest.mark.slow
def test_dlg_recovers_a_digit(lenet, mnist):
    # iDLG label + L-BFGS: pixel MSE reaches ~1e-4 after 8 steps and ~1e-7 after 15
    # (measured over 10 digits); 12 steps leave a wide margin below 1e-3.
    x, y = mnist[0][:1], mnist[1][:1]
    result = DLG(DLGOptions(iterations=12)).run(
        lenet, shared_gradient(lenet, x, y), None, 1, SHAPE, rng=0
    )
    assert pixel_mse(result.images, x) < 1e-3
    assert result.labels.tolist() == y.tolist()
    assert result.matching_loss < 1e-4 * result.loss_history[0]
    assert result.images.dtype == np.float32 and result.images.shape == (1, *SHAPE)
    assert result.images.min() >= 0 and result.images.max() <= 1


@pytest.mark.parametrize("name", ["lenet", "convnet"])
def test_idlg_recovers_every_class(name, mnist, request):
    model = request.getfixturevalue(name)
    for c in range(10):
        shared = shared_gradient(model, mnist[0][c : c + 1], mnist[1][c : c + 1])
        assert infer_labels(model, shared, 1).tolist() == [c]


def test_idlg_from_the_weight_gradient_without_a_bias(digits):
    model = tiny_mlp(seed=1)  # ReLU representation, so the label row has a negative sum
    X, y = digits[0].X, digits[0].y
    for c in range(10):
        i = int(np.flatnonzero(y == c)[0])
        shared = shared_gradient(model, X[i : i + 1], y[i : i + 1])
        del shared["3.bias"]
        assert infer_labels(model, shared, 1).tolist() == [c]


def test_inverting_gradients_makes_progress(convnet, mnist):
    x, y = mnist[0][1:2], mnist[1][1:2]
    shared = shared_gradient(convnet, x, y)
    result = InvertingGradients(InvertingGradientsOptions(iterations=30)).run(
        convnet, shared, y, 1, SHAPE, rng=0
    )
    generator = torch.Generator().manual_seed(seed_from(0))  # the documented dummy start
    start = torch.randn((1, *SHAPE), generator=generator).clamp(0, 1).numpy()
    assert result.matching_loss < 0.5 * result.loss_history[0]
    assert pixel_mse(result.images, x) < 0.8 * pixel_mse(start, x)
    assert result.iterations == 30 and result.loss_history.shape == (30,)


def test_matching_losses_vanish_at_the_true_image(convnet, mnist):
    x, y = torch.as_tensor(mnist[0][2:3]), torch.as_tensor(mnist[1][2:3])
    shared = shared_gradient(convnet, x, y)
    problem = MatchingProblem("test", convnet, shared, 1, SHAPE)
    assert float(problem.cosine(x, y).detach()) < 1e-6
    assert float(problem.squared(x, y).detach()) < 1e-10 * sum(
        float(t.pow(2).sum()) for t in shared.values()
    )
    scaled = MatchingProblem("test", convnet, {k: 3 * v for k, v in shared.items()}, 1, SHAPE)
    other = torch.as_tensor(mnist[0][3:4])
    # cosine matching ignores the gradient's scale (float32 rounding: 1e-6 absolute)
    cosines = [float(p.cosine(other, y).detach()) for p in (scaled, problem)]
    assert cosines[0] == pytest.approx(cosines[1], abs=1e-6) and cosines[1] > 1e-4


@pytest.mark.parametrize("attack", ["dlg", "gs"])
def test_excluded_tensor_does_not_enter_the_loss(attack, lenet, mnist):
    x, y = mnist[0][4:5], mnist[1][4:5]
    shared = shared_gradient(lenet, x, y)
    tampered = dict(shared, **{"fc.weight": torch.randn(shared["fc.weight"].shape).double()})
    exclude = adaptive_exclude(lenet, "fc")
    assert exclude == ("fc.weight",) == adaptive_exclude(lenet)

    def run(gradient, **kw):
        return FAST[attack](**kw).run(lenet, gradient, y, 1, SHAPE, rng=3)

    a, b = run(shared, exclude=exclude), run(tampered, exclude=exclude)
    assert np.array_equal(a.raw_images, b.raw_images)
    assert np.array_equal(a.loss_history, b.loss_history)
    c, d = run(shared), run(tampered)
    assert not np.array_equal(c.raw_images, d.raw_images)


@pytest.mark.parametrize("attack", ["dlg", "gs"])
def test_caller_model_and_global_generators_untouched(attack, mnist):
    with global_rng_seeded(5):
        model = ConvNet(width=4).train()
    model.body[1].eval()
    x, y = mnist[0][:1], mnist[1][:1]
    shared = shared_gradient(model, x, y)
    model.fc.weight.grad = torch.ones_like(model.fc.weight)
    model.fc.bias.requires_grad_(False)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    flags = [m.training for m in model.modules()]
    random.seed(1)
    np.random.seed(1)  # noqa: NPY002  (the test plays a caller with its own global seeds)
    torch.manual_seed(1)
    FAST[attack]().run(model, shared, None, 1, SHAPE, rng=0)
    assert (random.random(), np.random.random(), float(torch.rand(1))) == (  # noqa: NPY002
        pytest.approx(random.Random(1).random()),
        np.random.RandomState(1).random_sample(),  # noqa: NPY002
        float(torch.rand(1, generator=torch.Generator().manual_seed(1))),
    )
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert [m.training for m in model.modules()] == flags
    assert not model.fc.bias.requires_grad and model.fc.weight.requires_grad
    assert torch.equal(model.fc.weight.grad, torch.ones_like(model.fc.weight))
    assert all(p.grad is None for n, p in model.named_parameters() if n != "fc.weight")


@pytest.mark.parametrize("attack", ["dlg", "gs"])
def test_same_rng_same_images(attack, lenet, mnist):
    shared = shared_gradient(lenet, mnist[0][5:6], mnist[1][5:6])
    runs = [FAST[attack]().run(lenet, shared, None, 1, SHAPE, rng=r) for r in (7, 7, 8)]
    assert np.array_equal(runs[0].raw_images, runs[1].raw_images)
    assert not np.array_equal(runs[0].raw_images, runs[2].raw_images)


def test_dlg_soft_label_runs_on_a_batch(lenet, mnist):
    x, y = mnist[0][:2], mnist[1][:2]
    attack = DLG(DLGOptions(iterations=2, max_eval=5, label="optimize"))
    result = attack.run(lenet, shared_gradient(lenet, x, y), None, 2, SHAPE, rng=0)
    assert result.images.shape == (2, *SHAPE) and result.labels.dtype == np.int64
    assert result.labels.shape == (2,) and result.matching_loss < result.loss_history[0]


def test_restarts_keep_the_best(convnet, mnist):
    # the first of three restarts is the single-restart run (same generator, drawn first),
    # so the best of three matches at least as well
    x, y = mnist[0][6:7], mnist[1][6:7]
    shared = shared_gradient(convnet, x, y)
    one, three = (
        InvertingGradients(InvertingGradientsOptions(iterations=3, restarts=r)).run(
            convnet, shared, y, 1, SHAPE, rng=0
        )
        for r in (1, 3)
    )
    assert three.evaluations == 3 * one.evaluations == 3 * 4
    assert three.matching_loss <= one.matching_loss


def _errors_cases(lenet, shared):
    wrong_shape = dict(shared, **{"fc.bias": torch.zeros(3)})
    return [
        (dict(shared=dict(shared, extra=torch.zeros(1))), r"shared\['extra'\] is not a parameter"),
        (
            dict(shared=wrong_shape),
            r"shared\['fc.bias'\] has shape \(3,\), the parameter has \(10,\)",
        ),
        (dict(n_images=0), r"n_images must be an integer in \[1, 64\]"),
        (dict(n_images=65), r"n_images must be an integer in \[1, 64\]"),
        (dict(n_images=2, labels=None), "labels=None needs n_images == 1"),
        (dict(labels=np.array([10])), r"labels must be in \[0, 9\]"),
        (dict(image_shape=(1, 2)), "image_shape must be a list of at least 3"),
        (dict(image_shape=(3, 28, 28)), r"image_shape \(3, 28, 28\) does not fit the model"),
        (dict(exclude=tuple(shared)), "leaves no tensor of shared to match"),
        (dict(exclude=("nope",)), "exclude names"),
    ]


def test_bad_input_is_refused_by_name(lenet, mnist):
    shared = shared_gradient(lenet, mnist[0][:1], mnist[1][:1])
    base = dict(shared=shared, labels=None, n_images=1, image_shape=SHAPE, exclude=())
    for change, message in _errors_cases(lenet, shared):
        kw = {**base, **change}
        attack = DLG(DLGOptions(iterations=1), exclude=kw.pop("exclude"))
        with pytest.raises(ValueError, match=message):
            attack.run(lenet, kw["shared"], kw["labels"], kw["n_images"], kw["image_shape"], 0)
    with pytest.raises(ValueError, match="n_images must be 1"):
        infer_labels(lenet, shared, 2)
    with pytest.raises(ValueError, match=r"DLGOptions.iterations must be an integer in \[1, inf\)"):
        DLGOptions(iterations=0)
    with pytest.raises(ValueError, match="InvertingGradientsOptions.init must be one of"):
        InvertingGradientsOptions(init="noise")
    with pytest.raises(ValueError, match="layer_name must name a layer with a weight"):
        adaptive_exclude(lenet, "body.1")
