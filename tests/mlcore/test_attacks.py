"""mlcore.attacks: exact norm bounds, exact query counts, untouched global generators,
reproducibility from rng, restored model state, and declared threat-model errors."""

import random

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from mlcore_test_helpers import tiny_mlp

from mlcore.attacks import (
    FGSM,
    PGD,
    QueryBudgetExceeded,
    QueryCounter,
    SquareAttack,
    ThreatModel,
    TransferAttack,
    check_attack,
    perturbation_norms,
    project,
)
from mlcore.params import ParameterTypeError
from mlcore.robust import NonlinearInputMapping
from mlcore.training import evaluate, fit

N_IMAGES = 64


@pytest.fixture(scope="module")
def trained(digits):
    model = tiny_mlp(hidden=48)
    fit(model, digits[0], epochs=12, lr=3e-3, seed=0, progress=False)
    return model


@pytest.fixture(scope="module")
def batch(digits):
    test = digits[1]
    return test.X[:N_IMAGES], test.y[:N_IMAGES]


def _attacks(norm: str, eps: float):
    threat = ThreatModel(norm=norm, epsilon=eps, steps=10, query_budget=40)
    return {"fgsm": FGSM(threat), "pgd": PGD(threat), "square": SquareAttack(threat)}


ATTACK_NAMES = ["fgsm", "pgd", "square"]


class _Constant(torch.nn.Module):
    """Logits that ignore the image: class ``label`` wins by a margin of 10."""

    def __init__(self, label: int, n_classes: int = 10):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.zeros(n_classes))
        with torch.no_grad():
            self.bias[label] = 10.0

    def forward(self, x):
        return self.bias.expand(x.shape[0], -1) + 0.0 * x.flatten(1).sum(1, keepdim=True)


# --- threat model ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"norm": "l1"}, "ThreatModel.norm"),
        ({"epsilon": 0.0}, "ThreatModel.epsilon"),
        ({"epsilon": -0.1}, "ThreatModel.epsilon"),
        ({"epsilon": 1.5}, "ThreatModel.epsilon"),  # linf budget beyond the pixel range
        ({"epsilon": float("nan")}, "ThreatModel.epsilon"),
        ({"steps": 0}, "ThreatModel.steps"),
        ({"step_size": 0.0}, "ThreatModel.step_size"),
        ({"query_budget": 0}, "ThreatModel.query_budget"),
    ],
)
def test_bad_threat_models_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ThreatModel(**kwargs)


def test_threat_model_types_and_defaults():
    with pytest.raises(ParameterTypeError, match="ThreatModel.epsilon") as info:
        ThreatModel(epsilon="0.1")
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert ThreatModel(norm="l2", epsilon=3.0).epsilon == 3.0  # l2 budgets may exceed 1
    assert ThreatModel(epsilon=0.1, steps=20).effective_step_size == pytest.approx(0.0125)
    assert ThreatModel(epsilon=0.1, step_size=0.02).effective_step_size == 0.02
    with pytest.raises(ValueError, match="query_budget"):
        SquareAttack(ThreatModel(epsilon=0.1))  # a black-box attack needs a budget
    with pytest.raises(ValueError, match="query_budget"):
        SquareAttack(ThreatModel(epsilon=0.1, query_budget=6))


def test_bad_images_are_refused(trained, batch):
    X, y = batch
    attack = PGD(ThreatModel(epsilon=0.1, steps=2))
    with pytest.raises(ValueError, match="x must hold finite pixel values in"):
        attack.generate(trained, X * 2.0, y, 0)
    with pytest.raises(ValueError, match=r"x must be images of shape \(n, c, h, w\)"):
        attack.generate(trained, X[:, 0], y, 0)
    with pytest.raises(ValueError, match="y must be integer labels"):
        attack.generate(trained, X, y[:-1], 0)


# --- exact norm bounds -------------------------------------------------------------------


def test_float32_rounding_would_break_a_naive_clip_and_project_holds_the_bound():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (200, 1, 8, 8)).astype(np.float32)
    eps = 0.1
    naive = np.clip(x + eps, 0.0, 1.0).astype(np.float32)  # clip in float32: x + eps rounds
    assert (perturbation_norms(naive, x, "linf") > eps).any()  # the failure project() fixes
    out = project(x + 1.0, x, ThreatModel(epsilon=eps))
    assert perturbation_norms(out, x, "linf").max() <= eps


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    norm=st.sampled_from(["linf", "l2"]),
    eps=st.floats(1e-4, 1.0),
    scale=st.floats(1e-3, 10.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_project_bound_is_exact(norm, eps, scale, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (5, 2, 6, 6)).astype(np.float32)
    x[0] = 0.0  # images at the box corners
    x[1] = 1.0
    raw = x + scale * rng.standard_normal(x.shape)
    threat = ThreatModel(norm=norm, epsilon=eps)
    out = project(raw, x, threat)
    assert out.dtype == np.float32 and out.shape == x.shape
    assert out.min() >= 0.0 and out.max() <= 1.0
    # the bound in float64 on the float32 output; l2 allows only the rounding of the sum
    tolerance = 0.0 if norm == "linf" else 1e-12 * eps
    assert perturbation_norms(out, x, norm).max() <= eps + tolerance
    # a point already admissible is returned unchanged
    inside = project(out, x, threat)
    np.testing.assert_array_equal(inside, out)


@pytest.mark.parametrize("name", ATTACK_NAMES)
@pytest.mark.parametrize(("norm", "eps"), [("linf", 0.03), ("linf", 0.1), ("linf", 0.3),
                                           ("l2", 0.5), ("l2", 1.5)])  # fmt: skip
def test_attacks_respect_the_norm_bound_exactly(trained, batch, name, norm, eps):
    X, y = batch
    result = _attacks(norm, eps)[name].run(trained, X, y, 0)
    assert result.x_adv.dtype == np.float32 and result.x_adv.shape == X.shape
    assert result.x_adv.min() >= 0.0 and result.x_adv.max() <= 1.0
    norms = perturbation_norms(result.x_adv, X, norm)
    np.testing.assert_array_equal(norms, result.norms)
    tolerance = 0.0 if norm == "linf" else 1e-12 * eps
    assert norms.max() <= eps + tolerance
    # the bound is active, not trivially met: some image uses (almost) the whole budget
    assert norms.max() > 0.9 * eps
    assert evaluate(trained, (result.x_adv, y)) < evaluate(trained, (X, y))


@settings(max_examples=15, deadline=None, derandomize=True)
@given(norm=st.sampled_from(["linf", "l2"]), eps=st.floats(1e-3, 1.0), seed=st.integers(0, 99))
def test_fgsm_and_pgd_bounds_hold_for_any_budget(trained, batch, norm, eps, seed):
    X, y = batch
    threat = ThreatModel(norm=norm, epsilon=eps, steps=3)
    for attack in (FGSM(threat), PGD(threat)):
        result = attack.run(trained, X[:16], y[:16], seed)
        tolerance = 0.0 if norm == "linf" else 1e-12 * eps
        assert result.norms.max() <= eps + tolerance
        assert result.x_adv.min() >= 0.0 and result.x_adv.max() <= 1.0


def test_white_box_attacks_hurt_more_with_more_budget(trained, batch):
    X, y = batch
    acc = [evaluate(trained, (_attacks("linf", e)["pgd"].generate(trained, X, y, 0), y))
           for e in (0.03, 0.1, 0.3)]  # fmt: skip
    assert acc[0] > acc[1] > acc[2]
    assert acc[2] < 0.1


# --- query counting ----------------------------------------------------------------------


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_square_counts_every_query_of_a_never_fooled_target(batch, norm):
    X, _ = batch
    y = np.full(len(X), 3)
    target = _Constant(label=3)  # never fooled: every image stays in every ART query
    seen = []
    target.register_forward_hook(lambda m, args, out: seen.append(args[0].shape[0]))
    attack = SquareAttack(ThreatModel(norm=norm, epsilon=0.1, query_budget=31), batch_size=16)
    result = attack.run(target, X, y, 0)
    assert attack.max_iter == 9
    # one probe image, then per image 3 to start and 3 per iteration (module docstring)
    assert result.queries == 1 + len(X) * (3 + 3 * attack.max_iter)
    assert result.queries == sum(seen)  # every image that reached the target was counted
    assert result.query_calls == len(seen)
    assert result.queries <= attack.threat.query_budget * len(X)


def test_square_counts_queries_of_an_always_fooled_target(batch):
    X, _ = batch
    y = np.full(len(X), 3)
    attack = SquareAttack(ThreatModel(epsilon=0.1, query_budget=31))
    result = attack.run(_Constant(label=5), X, y, 0)  # already wrong: ART stops at once
    assert result.queries == 1 + len(X)
    np.testing.assert_array_equal(result.x_adv, X)


@pytest.mark.parametrize("budget", [7, 25, 100])
def test_square_stays_within_its_query_budget(trained, batch, budget):
    X, y = batch
    seen = []
    hook = trained.register_forward_hook(lambda m, args, out: seen.append(args[0].shape[0]))
    try:
        result = SquareAttack(ThreatModel(epsilon=0.1, query_budget=budget)).run(trained, X, y, 0)
    finally:
        hook.remove()
    assert result.queries == sum(seen)
    assert 1 + len(X) <= result.queries <= budget * len(X)
    assert result.queries_per_image == result.queries / len(X)


def test_query_counter_refuses_a_call_past_its_limit():
    inner_calls = []
    model = torch.nn.Flatten()
    model.register_forward_hook(lambda m, args, out: inner_calls.append(args[0].shape[0]))
    counter = QueryCounter(model, limit=10)
    counter(torch.zeros(6, 1, 2, 2))
    with pytest.raises(QueryBudgetExceeded, match="query limit 10"):
        counter(torch.zeros(5, 1, 2, 2))
    assert counter.queries == 6 and counter.call_sizes == [6] and inner_calls == [6]
    counter(torch.zeros(4, 1, 2, 2))  # exactly at the limit is allowed
    assert counter.queries == 10 and counter.calls == 2
    with pytest.raises(ValueError, match="limit"):
        QueryCounter(model, limit=-1)


def test_transfer_attack_never_queries_the_target(digits, trained, batch):
    X, y = batch
    surrogate = tiny_mlp(seed=1, hidden=48)
    fit(surrogate, digits[0], epochs=8, lr=3e-3, seed=1, progress=False)
    pgd = PGD(ThreatModel(epsilon=0.2, steps=10))
    target = QueryCounter(trained)
    result = TransferAttack(pgd, surrogate).run(target, X, y, 7)
    assert target.queries == 0 and result.queries == 0
    np.testing.assert_array_equal(result.x_adv, pgd.generate(surrogate, X, y, 7))
    assert result.norms.max() <= 0.2
    assert evaluate(trained, (result.x_adv, y)) < evaluate(trained, (X, y)) - 0.1
    with pytest.raises(ValueError, match="white-box"):
        TransferAttack(SquareAttack(ThreatModel(epsilon=0.1, query_budget=10)), surrogate)


# --- randomness and model state ----------------------------------------------------------


def _global_draws():
    return random.random(), float(np.random.random()), float(torch.rand(1))  # noqa: NPY002


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_attacks_leave_the_global_generators_alone(trained, batch, name):
    X, y = batch
    attack = _attacks("linf", 0.1)[name]
    random.seed(11)
    np.random.seed(11)  # noqa: NPY002  (the test plays a caller with its own global seed)
    torch.manual_seed(11)
    expected = _global_draws()
    random.seed(11)
    np.random.seed(11)  # noqa: NPY002
    torch.manual_seed(11)
    attack.generate(trained, X, y, 5)
    assert _global_draws() == expected


@pytest.mark.parametrize("name", ["pgd", "square"])
def test_attacks_are_reproducible_from_rng(trained, batch, name):
    X, y = batch
    attack = _attacks("l2", 1.0)[name]
    a = attack.generate(trained, X, y, 3)
    np.testing.assert_array_equal(a, attack.generate(trained, X, y, 3))
    from_gen = attack.generate(trained, X, y, np.random.default_rng(3))
    np.testing.assert_array_equal(
        from_gen, attack.generate(trained, X, y, np.random.default_rng(3))
    )
    assert not np.array_equal(a, attack.generate(trained, X, y, 4))  # random starts differ
    gen = np.random.default_rng(3)  # a Generator is advanced: two calls, two draws
    assert not np.array_equal(
        attack.generate(trained, X, y, gen), attack.generate(trained, X, y, gen)
    )


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_attacks_restore_the_model_state(trained, batch, name):
    X, y = batch
    model = torch.nn.Sequential(torch.nn.Dropout(0.5), *trained)
    first, *rest = [p for p in model.parameters()]
    model.train()
    model[0].eval()  # mixed flags are restored one by one
    first.requires_grad_(False)
    first.grad = None
    for p in rest:
        p.grad = torch.full_like(p, 0.5)  # a caller's accumulated gradients (ART zeroes them)
    _attacks("linf", 0.1)[name].generate(model, X, y, 0)
    assert model.training and not model[0].training
    assert all(m.training for m in model[1:])
    assert not first.requires_grad and all(p.requires_grad for p in rest)
    assert first.grad is None  # gradients went to the input only
    assert all(torch.equal(p.grad, torch.full_like(p, 0.5)) for p in rest)


def test_bpda_restores_the_mapping_state_and_sees_through_it(trained, batch):
    X, y = batch
    mapping = NonlinearInputMapping(levels=2, temperature=400.0)
    mapping.train()
    threat = ThreatModel(epsilon=0.2, steps=10)
    x_bpda = PGD(threat, bpda_mapping=mapping).generate(trained, X, y, 0)
    assert mapping.training
    assert perturbation_norms(x_bpda, X, "linf").max() <= 0.2
    system = torch.nn.Sequential(mapping, trained)
    x_white = PGD(threat).generate(system, X, y, 0)
    # the staircase's vanishing gradient stops plain PGD; BPDA's identity gradient does not
    assert evaluate(system, (x_bpda, y)) < evaluate(system, (x_white, y))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_attacks_run_on_the_models_device(trained, batch):
    import copy

    X, y = batch
    model = copy.deepcopy(trained).to("cuda")
    for name in ATTACK_NAMES:
        result = _attacks("linf", 0.1)[name].run(model, X, y, 0)
        assert result.norms.max() <= 0.1
        assert all(p.device.type == "cuda" for p in model.parameters())
    cpu = _attacks("linf", 0.1)["fgsm"].generate(trained, X, y, 0)
    gpu = _attacks("linf", 0.1)["fgsm"].generate(model, X, y, 0)
    assert np.mean(cpu != gpu) < 0.01  # same images up to sign flips of tiny gradients


# --- the contract as a conformance check ---------------------------------------------------


def test_every_attack_passes_the_conformance_check(digits, trained, batch):
    X, y = batch
    surrogate = tiny_mlp(seed=2, hidden=16)
    mapping = NonlinearInputMapping(levels=4, temperature=60.0)
    for norm, eps in (("linf", 0.1), ("l2", 1.0)):
        threat = ThreatModel(norm=norm, epsilon=eps, steps=5, query_budget=20)
        for attack in (
            FGSM(threat),
            PGD(threat),
            PGD(threat, bpda_mapping=mapping),
            TransferAttack(PGD(threat), surrogate),
            SquareAttack(threat),
        ):
            check_attack(attack, trained, X[:32], y[:32], rng=1)


class _Unprojected(PGD):
    """PGD returning ART's raw output, without the exact projection."""

    def run(self, model, x, y, rng):
        from mlcore.attacks import AttackResult

        result = super().run(model, x, y, rng)
        raw = np.clip(x + 1.5 * (result.x_adv - x), 0, 1).astype(np.float32)
        return AttackResult(raw, perturbation_norms(raw, x, "linf"), self.threat)


class _Reseeding(FGSM):
    def run(self, model, x, y, rng):
        np.random.seed(0)  # noqa: NPY002  (the bug the check exists for)
        return super().run(model, x, y, rng)


class _LeavesEval(FGSM):
    def run(self, model, x, y, rng):
        result = super().run(model, x, y, rng)
        model.eval()
        return result


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (_Unprojected, "perturbation"),
        (_Reseeding, "global random generators"),
        (_LeavesEval, "train/eval"),
    ],
)
def test_conformance_check_catches_broken_attacks(trained, batch, broken, message):
    X, y = batch
    trained.train()
    with pytest.raises(AssertionError, match=message):
        check_attack(broken(ThreatModel(epsilon=0.1, steps=3)), trained, X[:16], y[:16])
