"""mlcore.dynamic: stage-one training, the oracle table and its choices, the selectors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlcore.dynamic.network import StriderNet
from mlcore.dynamic.oracle import ConfigurationScores, score_configurations
from mlcore.dynamic.selectors import (
    SelectorSet,
    learned_selection,
    route,
    selector_targets,
    train_selectors,
)
from mlcore.dynamic.training import fit_random_configurations
from mlcore.experiments.dynamic import DynamicParams


def _net(seed=0):
    torch.manual_seed(seed)
    return StriderNet(widths=(4, 8, 8, 8), stem_stride=1, bounds=(1, 16))


@pytest.fixture(scope="module")
def trained(digits):
    train, test = digits
    net = _net()
    fit_random_configurations(net, train, epochs=3, lr=5e-3, seed=1, progress=False)
    return net.eval(), train, test


@pytest.fixture(scope="module")
def table(trained):
    net, _, test = trained
    return score_configurations(net, test.X[:120], test.y[:120])


def test_random_configuration_training_is_reproducible_and_leaves_the_static_configuration(
    digits,
):
    train, _ = digits
    small = (train.X[:256], train.y[:256])
    nets = [_net(), _net()]
    seen = []
    nets[0].register_forward_pre_hook(lambda m, a: seen.append(m.configuration))
    for net in nets:
        fit_random_configurations(net, small, epochs=1, seed=5, progress=False)
    for a, b in zip(nets[0].state_dict().values(), nets[1].state_dict().values()):
        assert torch.equal(a, b)
    assert nets[0].configuration == nets[0].space.default
    assert len(set(seen)) > 1  # a configuration per mini-batch, not one for the whole run


def test_the_oracle_never_scores_below_the_static_configuration_it_includes(trained, table):
    net, _, _ = trained
    default = table.column(net.space.default)
    oracle, worst = table.oracle(), table.worst()
    rows = np.arange(len(table.labels))
    assert (table.loss[rows, oracle.chosen] <= table.loss[:, default]).all()
    assert (table.loss[rows, worst.chosen] >= table.loss[:, default]).all()
    assert oracle.accuracy >= table.accuracy(default) >= worst.accuracy
    assert oracle.accuracy > table.accuracy(default)  # 256 configurations find something
    assert oracle.oracle_agreement == 1.0
    # fewer dynamic layers: nested subsets, the oracle's loss can only rise
    losses = [
        table.subset(net.space.restricted(k).configurations).loss.min(1) for k in (1, 2, 3, 4)
    ]
    for fewer, more in zip(losses, losses[1:]):
        assert (more <= fewer).all()


def test_batched_and_one_by_one_oracle_evaluation_agree(trained):
    net, _, test = trained
    X, y = test.X[:20], test.y[:20]
    a = score_configurations(net, X, y, batch_size=7)
    b = score_configurations(net, X, y, batch_size=20, batched=False)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(a.prediction, b.prediction)
    np.testing.assert_array_equal(a.oracle().chosen, b.oracle().chosen)


def test_training_free_selectors_pick_the_most_confident_configuration(table):
    mc, me = table.max_confidence(), table.min_entropy()
    rows = np.arange(len(table.labels))
    assert (table.confidence[rows, mc.chosen] == table.confidence.max(1)).all()
    assert (table.entropy[rows, me.chosen] == table.entropy.min(1)).all()
    # where the most confident configuration is right, its true-label probability is the
    # highest of all: it is the oracle's choice (up to ties)
    right = table.correct[rows, mc.chosen]
    assert np.allclose(table.loss[rows, mc.chosen][right], table.loss.min(1)[right], atol=1e-6)


def test_selector_targets_look_ahead_to_the_best_completion():
    rng = np.random.default_rng(0)
    configs = tuple((a, b) for a in range(3) for b in range(2))
    loss = rng.random((5, len(configs)))
    z = np.zeros((5, len(configs)), dtype=np.int64)
    scores = ConfigurationScores(configs, np.zeros(5, np.int64), loss, z, loss, loss)
    targets = selector_targets(scores)
    best = loss.argmin(1)
    assert (targets[()] == np.array([configs[c][0] for c in best])).all()
    for a in range(3):
        cols = [i for i, c in enumerate(configs) if c[0] == a]
        want = np.array([configs[cols[j]][1] for j in loss[:, cols].argmin(1)])
        assert (targets[(a,)] == want).all()


def test_learned_selectors_train_and_route_consistently_with_the_table(trained, table):
    net, train, test = trained
    truth = score_configurations(net, train.X[:150], train.y[:150])
    torch.manual_seed(0)
    selectors = SelectorSet(net, hidden=4)
    history = train_selectors(
        net, selectors, train.X[:150], selector_targets(truth), epochs=4, lr=1e-2, seed=0,
        progress=False,
    )  # fmt: skip
    assert history[-1] < history[0]
    logits, chosen = route(net, selectors, test.X[:120])
    learned = learned_selection(table, chosen)
    rows = np.arange(120)
    # the routed predictions are the table's predictions at the chosen configurations
    assert (logits.argmax(1) == table.prediction[rows, learned.chosen]).all()
    assert learned.accuracy == pytest.approx((logits.argmax(1) == test.y[:120]).mean())


def test_bad_parameters_name_themselves():
    with pytest.raises(ValueError, match="DynamicParams.widths"):
        DynamicParams(widths=(8, 16, 32))
    with pytest.raises(ValueError, match="DynamicParams.datasets"):
        DynamicParams(datasets=("cifar10",))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        score_configurations(_net(), np.zeros((2, 1, 8, 8), np.float32), [0, 1], batch_size=0)
