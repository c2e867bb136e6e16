"""FedAvg: reduction to centralized training, aggregation, hooks, sampling, seeds, errors."""

import random

import numpy as np
import pytest
import torch
from mlcore_test_helpers import tiny_mlp

from mlcore.federated import (
    BatchSchedule,
    Client,
    ClientTransform,
    Compose,
    CoordinateMedian,
    FedAvg,
    LocalTraining,
    WeightedMean,
)
from mlcore.params import ParameterTypeError
from mlcore.partition import dirichlet_partition, iid_partition


@pytest.fixture(scope="module")
def train(digits):
    data, _ = digits
    return data.X, data.y


def float64_state(model):
    return {k: v.detach().double().clone() for k, v in model.state_dict().items()}


class Recorder(ClientTransform):
    """Identity transform that keeps every update it sees."""

    def __init__(self):
        self.seen = []

    def forward(self, update, generator):
        self.seen.append(update)
        return update


class RecordingRule:
    """Wraps an aggregation rule and keeps its inputs and output."""

    def __init__(self, rule):
        self.rule, self.calls = rule, []

    def __call__(self, updates):
        out = self.rule(updates)
        self.calls.append((list(updates), out))
        return out


def centralized_sgd(model, X, y, index, schedule, start, n_steps, training):
    """Plain torch loop over the same batches: the reference for one client."""
    opt = torch.optim.SGD(model.parameters(), lr=training.lr, momentum=training.momentum)
    X, y, index = torch.as_tensor(X), torch.as_tensor(y), torch.as_tensor(index)
    for position in schedule.batches(start, n_steps):
        batch = index[position]
        loss = torch.nn.functional.cross_entropy(model(X[batch]), y[batch])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def test_one_client_full_participation_is_centralized_training_step_for_step(train):
    X, y = train
    training = LocalTraining(local_steps=1, batch_size=128, lr=0.2)
    client = Client(np.arange(len(y)), training)
    sim = FedAvg([client], X, y, random_state=7, progress=False)
    sim.start(tiny_mlp(seed=1))
    reference = tiny_mlp(seed=1)
    schedule = BatchSchedule(client.n_samples, 128, sim.seeds["client0"])
    n_steps = schedule.steps_per_epoch + 3  # crosses an epoch boundary
    for step in range(n_steps):
        sim.step()
        centralized_sgd(reference, X, y, client.indices, schedule, step, 1, training)
        for (name, a), b in zip(sim.global_model.state_dict().items(), reference.parameters()):
            assert torch.equal(a, b), f"{name} differs at step {step}"


def test_local_epochs_with_momentum_match_one_centralized_run(train):
    X, y = train
    training = LocalTraining(local_epochs=2, batch_size=100, lr=0.05, momentum=0.9)
    client = Client(np.arange(300), training)
    sim = FedAvg([client], X, y, random_state=3, progress=False)
    sim.start(tiny_mlp(seed=2))
    sim.step()
    reference = tiny_mlp(seed=2)
    schedule = BatchSchedule(300, 100, sim.seeds["client0"])
    centralized_sgd(reference, X, y, client.indices, schedule, 0, 6, training)
    for a, b in zip(sim.global_model.parameters(), reference.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("equal_sizes", [True, False])
def test_aggregate_is_the_sample_weighted_mean(equal_sizes, train):
    X, y = train
    n = 400 if equal_sizes else 403  # 403 over 4 clients: sizes 101, 101, 101, 100
    part = iid_partition(y[:n], 4, random_state=0)
    if not equal_sizes:
        part = dirichlet_partition(y[:n], 4, alpha=0.5, min_samples=20, random_state=0)
    clients = [Client(idx, LocalTraining(local_steps=2, batch_size=16)) for idx in part]
    rule = RecordingRule(WeightedMean())
    sim = FedAvg(clients, X, y, aggregator=rule, random_state=0, progress=False)
    sim.start(tiny_mlp())
    before = float64_state(sim.global_model)
    sim.step()
    updates, aggregate = rule.calls[0]
    sizes = np.array([u.n_samples for u in updates], dtype=float)
    assert (len(set(sizes)) == 1) == equal_sizes
    for key, value in aggregate.items():
        stacked = torch.stack([u.tensors[key] for u in updates])
        weighted = torch.tensordot(torch.as_tensor(sizes / sizes.sum()), stacked, dims=1)
        torch.testing.assert_close(value, weighted, rtol=1e-12, atol=1e-15)
        plain = stacked.mean(0)
        if equal_sizes:
            torch.testing.assert_close(value, plain, rtol=1e-12, atol=1e-15)
        else:
            assert not torch.allclose(value, plain, rtol=1e-6, atol=0)
        # the server moved the global model by exactly the aggregate (server_lr = 1)
        moved = (before[key] + value).float()
        assert torch.equal(sim.global_model.state_dict()[key], moved)


def test_transform_sees_exactly_what_the_client_shares(train):
    X, y = train
    training = LocalTraining(local_steps=3, batch_size=32, lr=0.1)
    part = iid_partition(y[:300], 3, random_state=1)
    clients = [Client(idx, training) for idx in part]
    recorder = Recorder()
    sim = FedAvg(clients, X, y, transform=recorder, random_state=5, progress=False)
    sim.start(tiny_mlp(seed=4))
    sim.step()
    assert [u.client for u in recorder.seen] == [0, 1, 2]
    for update in recorder.seen:
        client = clients[update.client]
        assert update.kind == "delta" and update.n_samples == client.n_samples
        local = tiny_mlp(seed=4)
        schedule = BatchSchedule(client.n_samples, 32, sim.seeds[f"client{update.client}"])
        centralized_sgd(local, X, y, client.indices, schedule, 0, 3, training)
        start = float64_state(tiny_mlp(seed=4))
        expected = {k: v.detach().double() - start[k] for k, v in local.state_dict().items()}
        assert update.tensors.keys() == expected.keys()
        for key in expected:
            assert update.tensors[key].dtype == torch.float64
            assert torch.equal(update.tensors[key], expected[key])


@pytest.mark.parametrize("share", ["delta", "gradient"])
def test_transform_reads_the_private_context_and_the_server_never_sees_it(share, train):
    """A transform gets the client's data (its mini-batch for a gradient share, all of its
    samples for a weight change) and its starting model; the context is gone before
    aggregation."""
    X, y = train
    training = LocalTraining(local_steps=1, batch_size=16, lr=0.1)
    clients = [Client(idx, training) for idx in iid_partition(y[:120], 2, random_state=0)]
    recorder, rule = Recorder(), RecordingRule(WeightedMean())
    sim = FedAvg(clients, X, y, options={"share": share}, transform=recorder, aggregator=rule,
                 random_state=3, progress=False)  # fmt: skip
    sim.start(tiny_mlp(seed=1))
    start = float64_state(sim.global_model)
    sim.step()
    for update in recorder.seen:
        context = update.context
        expected = 16 if share == "gradient" else clients[update.client].n_samples
        assert context.X.shape[0] == context.y.shape[0] == expected
        indices = clients[update.client].indices
        assert set(map(tuple, context.X.reshape(expected, -1).tolist())) <= set(
            map(tuple, torch.as_tensor(X)[indices].reshape(len(indices), -1).tolist())
        )
        for key, value in context.model.state_dict().items():
            assert torch.equal(value.double(), start[key])
    ((shared, _),) = rule.calls
    assert all(u.context is None for u in shared)


def test_the_server_aggregates_the_transformed_share(train):
    X, y = train
    clients = [Client(idx, LocalTraining(local_steps=1)) for idx in iid_partition(y, 3)]

    def constant(update, generator):
        tensors = {k: torch.full_like(v, 1e-3) for k, v in update.tensors.items()}
        return update.replace(tensors=tensors)

    def halve(update, generator):
        return update.replace(tensors={k: 0.5 * v for k, v in update.tensors.items()})

    sim = FedAvg(clients, X, y, transform=Compose([constant, halve]), progress=False)
    sim.start(tiny_mlp())
    before = float64_state(sim.global_model)
    record = sim.step()
    for key, value in sim.global_model.state_dict().items():
        assert torch.equal(value, (before[key] + 5e-4).float())
    n_weights = sum(v.numel() for v in before.values())
    assert record.update_norm == pytest.approx(5e-4 * n_weights**0.5)


def test_gradient_share_is_the_minibatch_gradient(train):
    X, y = train
    part = iid_partition(y[:400], 2)  # 200 samples each: weights 1/2
    clients = [Client(idx, LocalTraining(local_steps=1, batch_size=8)) for idx in part]
    recorder = Recorder()
    sim = FedAvg(
        clients,
        X,
        y,
        options={"share": "gradient", "server_lr": 0.3},
        transform=recorder,
        random_state=2,
        progress=False,
    )
    sim.start(tiny_mlp(seed=3))
    before = float64_state(sim.global_model)
    sim.step()
    grads = []
    for update in recorder.seen:
        client = clients[update.client]
        model = tiny_mlp(seed=3)
        seed = sim.seeds[f"client{update.client}"]
        order = BatchSchedule(client.n_samples, 8, seed).epoch_order(0)
        batch = client.indices[order[:8].numpy()]
        logits = model(torch.as_tensor(X[batch]))
        loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(y[batch]))
        loss.backward()
        for name, p in model.named_parameters():
            assert torch.equal(update.tensors[name], p.grad.double())
        grads.append(update.tensors)
    for key, value in sim.global_model.state_dict().items():
        mean = grads[0][key] * 0.5 + grads[1][key] * 0.5
        assert torch.equal(value, (before[key] - 0.3 * mean).float())


def accuracy(model, X, y):
    with torch.no_grad():
        return float((model(torch.as_tensor(X)).argmax(1) == torch.as_tensor(y)).float().mean())


def test_fedavg_learns_the_digits(digits):
    (train_set, test_set) = digits
    part = dirichlet_partition(train_set.y, 6, alpha=1.0, min_samples=50, random_state=0)
    clients = [Client(idx, LocalTraining(local_epochs=2, batch_size=32, lr=0.3)) for idx in part]
    sim = FedAvg(clients, train_set.X, train_set.y, options={"clients_per_round": 3})
    result = sim.run(8, tiny_mlp())
    losses = result.mean_losses()
    assert losses[-1] < 0.25 * losses[0]
    assert accuracy(result.model, test_set.X, test_set.y) > 0.8  # chance: 0.1
    assert [len(r.clients) for r in result.rounds] == [3] * 8


def make_update(client, n, values):
    from mlcore.federated import ClientUpdate

    return ClientUpdate(client, n, "delta", {"w": torch.tensor(values, dtype=torch.float64)}, 0.0)


def test_coordinate_median_closed_form_and_robustness(train):
    values = [[1.0, 9.0], [5.0, -2.0], [3.0, 0.0]]
    odd = [make_update(k, 10 * (k + 1), v) for k, v in enumerate(values)]
    expected = torch.tensor([3.0, 0.0], dtype=torch.float64)
    torch.testing.assert_close(CoordinateMedian()(odd)["w"], expected)
    even = odd + [make_update(3, 1, [4.0, 100.0])]
    expected = torch.tensor([3.5, 4.5], dtype=torch.float64)
    torch.testing.assert_close(CoordinateMedian()(even)["w"], expected)

    # one client sends a huge update: the mean follows it, the median does not
    X, y = train
    clients = [Client(idx, LocalTraining(local_steps=1)) for idx in iid_partition(y, 5)]

    def poison(update, generator):
        if update.client != 0:
            return update
        return update.replace(tensors={k: v + 1e3 for k, v in update.tensors.items()})

    moves = {}
    for rule in (WeightedMean(), CoordinateMedian()):
        sim = FedAvg(clients, X, y, transform=poison, aggregator=rule, progress=False)
        sim.start(tiny_mlp())
        moves[repr(rule)] = sim.step().update_norm
    # mean: client 0 (weight 1/5) moves every weight by about 1e3 / 5
    n_weights = sum(p.numel() for p in tiny_mlp().parameters())
    assert moves["WeightedMean()"] == pytest.approx(200 * n_weights**0.5, rel=0.01)
    assert moves["CoordinateMedian()"] < 10


def dropout_mlp(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(64, 32), torch.nn.Dropout(0.3), torch.nn.Linear(32, 10)
    )


def noise(update, generator):
    tensors = {
        k: v + 1e-3 * torch.randn(v.shape, generator=generator, dtype=v.dtype)
        for k, v in update.tensors.items()
    }
    return update.replace(tensors=tensors)


def make_sim(train, random_state):
    X, y = train
    part = iid_partition(y[:600], 6, random_state=0)
    clients = [Client(idx, LocalTraining(local_steps=2, batch_size=16)) for idx in part]
    options = {"fraction": 0.5}
    return FedAvg(
        clients, X, y, options=options, transform=noise, random_state=random_state, progress=False
    )


def run_rounds(train, random_state, n_rounds=3):
    return make_sim(train, random_state).run(n_rounds, dropout_mlp())


def global_states():
    return (
        random.getstate(),
        np.random.get_state()[1].copy(),  # noqa: NPY002  (the legacy global generator)
        torch.get_rng_state(),
    )


def test_a_round_never_changes_the_callers_global_rng(train):
    """The model has dropout and the transform draws noise: both stay off the globals."""
    sim, model = make_sim(train, 0), dropout_mlp()
    random.seed(11)
    np.random.seed(11)  # noqa: NPY002
    torch.manual_seed(11)
    before = global_states()
    sim.start(model)
    sim.step()
    after = global_states()
    assert after[0] == before[0]
    np.testing.assert_array_equal(after[1], before[1])
    assert torch.equal(after[2], before[2])
    assert sim.result().rounds[0].losses  # the round did train


def test_same_seed_same_run_and_another_seed_differs(train):
    a, b, c = run_rounds(train, 4), run_rounds(train, 4), run_rounds(train, 5)
    assert [r.to_dict() | {"wall_time_s": 0} for r in a.rounds] == [
        r.to_dict() | {"wall_time_s": 0} for r in b.rounds
    ]
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters()))
    assert a.seeds == b.seeds and a.seeds != c.seeds
    assert set(a.seeds) == {"root", "sampling"} | {f"client{k}" for k in range(6)}
    assert [r.clients for r in a.rounds] != [r.clients for r in c.rounds]
    assert not torch.equal(a.model[1].weight, c.model[1].weight)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, 10),
        ({"fraction": 0.35}, 3),
        ({"fraction": 0.01}, 1),
        ({"clients_per_round": 7}, 7),
    ],
)
def test_client_sampling(options, expected, train):
    X, y = train
    clients = [Client(idx, LocalTraining(local_steps=1)) for idx in iid_partition(y, 10)]
    sim = FedAvg(clients, X, y, options=options, random_state=0, progress=False)
    result = sim.run(6, tiny_mlp())
    seen = set()
    for record in result.rounds:
        chosen = list(record.clients)
        assert len(chosen) == expected and chosen == sorted(set(chosen))
        seen.update(chosen)
    assert len(seen) > expected or expected == 10  # the sample changes between rounds


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda c, X, y: FedAvg(c, X, y, options={"fraction": 0.0}),
            ValueError,
            r"FedAvgOptions\.fraction must be a float in \(0, 1\]; got 0\.0",
        ),
        (
            lambda c, X, y: FedAvg(c, X, y, options={"fraction": "half"}),
            ParameterTypeError,
            r"FedAvgOptions\.fraction must be a float",
        ),
        (
            lambda c, X, y: FedAvg(c, X, y, options={"rounds": 3}),
            ValueError,
            r"unknown parameter\(s\) \['rounds'\] for FedAvgOptions",
        ),
        (
            lambda c, X, y: FedAvg(c, X, y, options={"clients_per_round": 5}),
            ValueError,
            r"clients_per_round must be an integer in \[1, 3\]",
        ),
        (
            lambda c, X, y: FedAvg(c, X, y, options={"share": "weights"}),
            ValueError,
            r"FedAvgOptions\.share must be one of 'delta', 'gradient'; got 'weights'",
        ),
        (
            lambda c, X, y: FedAvg(c, X, y, options={"share": "gradient"}),
            ValueError,
            r"clients\[0\]\.training\.local_steps must be 1",
        ),
        (lambda c, X, y: FedAvg(c, X, y[:-1]), ValueError, "same number of samples"),
        (lambda c, X, y: FedAvg(c, X[:10], y[:10]), ValueError, r"indices must lie in \[0, 9\]"),
        (lambda c, X, y: FedAvg(c, X, y, device="tpu"), ValueError, "device must be one of"),
        (lambda c, X, y: FedAvg([], X, y), ValueError, "non-empty sequence of Client"),
        (lambda c, X, y: FedAvg(c, X, y).step(), RuntimeError, r"call start\(global_model\)"),
        (
            lambda c, X, y: LocalTraining(lr=0.0),
            ValueError,
            r"LocalTraining\.lr must be a float in \(0, inf\); got 0\.0",
        ),
        (
            lambda c, X, y: LocalTraining(local_epochs=1, local_steps=2),
            ValueError,
            "at most one of local_epochs and local_steps",
        ),
        (lambda c, X, y: Client(np.array([0.5])), ValueError, "Client.indices must be"),
    ],
)
def test_bad_input_names_the_parameter(build, error, message, train):
    X, y = train
    clients = [Client(idx) for idx in iid_partition(y, 3)]
    with pytest.raises(error, match=message):
        build(clients, X, y)


def test_transform_that_breaks_the_share_is_refused(train):
    X, y = train
    clients = [Client(idx, LocalTraining(local_steps=1)) for idx in iid_partition(y, 2)]

    def drop_bias(update, generator):
        return update.replace(tensors={k: v for k, v in update.tensors.items() if "bias" not in k})

    sim = FedAvg(clients, X, y, transform=drop_bias, progress=False)
    sim.start(tiny_mlp())
    with pytest.raises(ValueError, match="changed the keys or shapes"):
        sim.step()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_round_matches_cpu_in_structure(train):
    X, y = train
    clients = [Client(idx, LocalTraining(local_steps=2)) for idx in iid_partition(y, 3)]
    results = {}
    for device in ("cpu", "cuda"):
        sim = FedAvg(clients, X, y, device=device, random_state=0, progress=False)
        results[device] = sim.run(2, tiny_mlp())
    cpu, cuda = results["cpu"], results["cuda"]
    assert cuda.device.startswith("cuda") and cpu.device == "cpu"
    assert [r.clients for r in cpu.rounds] == [r.clients for r in cuda.rounds]
    for p, q in zip(cpu.model.parameters(), cuda.model.parameters()):
        assert q.device.type == "cuda"
        torch.testing.assert_close(p, q.cpu(), rtol=1e-4, atol=1e-5)


def test_solver_shape_start_step_run(train):
    X, y = train
    clients = [Client(idx, LocalTraining(local_steps=1)) for idx in iid_partition(y, 4)]
    sim = FedAvg(clients, X, y, options={"clients_per_round": 2}, random_state=1, progress=False)
    caller_model = tiny_mlp()
    untouched = float64_state(caller_model)
    sim.start(caller_model)
    first = sim.step()
    assert first.round == 1 and len(first.clients) == 2 and len(first.losses) == 2
    snapshot = sim.result()
    later = sim.run(2)  # continues from round 2
    assert [r.round for r in later.rounds] == [1, 2, 3]
    assert later.rounds[0] is first and later.options["clients_per_round"] == 2
    # results hold copies; the caller's model is never trained in place
    assert not torch.equal(snapshot.model[1].weight, later.model[1].weight)
    for key, value in caller_model.state_dict().items():
        assert torch.equal(value.double(), untouched[key])
    with pytest.raises(ValueError, match="n_rounds must be an integer >= 1; got 0"):
        sim.run(0)
