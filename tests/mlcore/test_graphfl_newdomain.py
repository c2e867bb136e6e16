"""GraphFL for new label domains (arXiv:2012.04187, notes §6) and the prototypical extension:
task sampling, MAML meta-gradients against independent computations, the server step,
learning on a tiny synthetic graph, the prototypical loss by hand, and input errors."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch_geometric.utils import coalesce, remove_self_loops, to_undirected

from mlcore.graphfl import newdomain_tasks
from mlcore.graphfl.functional import accuracy, node_loss, sgd_adapt, weights_of
from mlcore.graphfl.models import GCN, make_model
from mlcore.graphfl.newdomain import (
    FedAvgOptions,
    MetaTrainingOptions,
    class_split,
    fedavg_pretrain,
    finetune_evaluate,
    meta_train,
    sample_tasks,
)
from mlcore.graphfl.newdomain_proto import (
    ProtoTrainingOptions,
    proto_evaluate,
    proto_train,
    prototype_log_probs,
    prototypical_loss,
)
from mlcore.params import ParameterTypeError
from mlcore.rng import global_rng_seeded

N_CLASSES = 4
PER_CLASS = 15


def synthetic_graph(seed: int = 0, noise: float = 0.8):
    """60 nodes, 4 classes of 15; features = one-hot of the class plus Gaussian noise
    (8 dimensions); each node links to 3 nodes of its class and 1 node of another class."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(N_CLASSES), PER_CLASS)
    n = y.size
    x = rng.normal(0.0, noise, size=(n, 8))
    x[np.arange(n), y] += 1.0
    src, dst = [], []
    for i in range(n):
        same = np.flatnonzero(y == y[i])
        other = np.flatnonzero(y != y[i])
        for j in [*rng.choice(same, 3, replace=False), rng.choice(other)]:
            src.append(i)
            dst.append(int(j))
    edge_index, _ = remove_self_loops(torch.tensor([src, dst]))
    edge_index = coalesce(to_undirected(edge_index), num_nodes=n)
    return torch.tensor(x, dtype=torch.float32), edge_index, torch.tensor(y)


@pytest.fixture(scope="module")
def graph():
    return synthetic_graph()


def fresh(name: str = "gcn", seed: int = 0, out: int = N_CLASSES):
    with global_rng_seeded(seed):
        model = make_model(name, 8, out)
    return model, weights_of(model)


def spy_tasks(monkeypatch) -> list:
    """Record every task the training loop draws (wraps the sampler the round loop calls)."""
    drawn = []
    original = newdomain_tasks.sample_tasks

    def recording(*args, **kwargs):
        tasks = original(*args, **kwargs)
        drawn.extend(tasks)
        return tasks

    monkeypatch.setattr(newdomain_tasks, "sample_tasks", recording)
    return drawn


# ---------------------------------------------------------------- tasks


def test_class_split_holds_out_the_first_classes_like_the_reference():
    assert class_split(7) == ((2, 3, 4, 5, 6), (0, 1))
    assert class_split(5, n_way=3) == ((3, 4), (0, 1, 2))
    split = class_split(6, held_out=[4, 1])
    assert split.train == (0, 2, 3, 5) and split.test == (1, 4)


@pytest.mark.parametrize("held_out", [[7], [-1], [], [0, 1, 2, 3, 4, 5, 6]])
def test_class_split_rejects_bad_held_out(held_out):
    with pytest.raises(ValueError, match=r"class_split.held_out must be .* in \[0, 6\]"):
        class_split(7, held_out)


def test_tasks_have_k_disjoint_nodes_per_class_from_the_allowed_classes(graph):
    _, _, y = graph
    allowed = (1, 2, 3)
    tasks = sample_tasks(y, allowed, n_tasks=30, n_way=2, k_shot=2, k_query=4, random_state=1)
    seen = set()
    for task in tasks:
        assert set(task.classes) <= set(allowed) and list(task.classes) == sorted(task.classes)
        assert not set(task.support.tolist()) & set(task.query.tolist())
        np.testing.assert_array_equal(torch.bincount(task.support_labels), [2, 2])
        np.testing.assert_array_equal(torch.bincount(task.query_labels), [4, 4])
        # task label i is global class classes[i]
        classes = torch.tensor(task.classes)
        assert torch.equal(y[task.support], classes[task.support_labels])
        assert torch.equal(y[task.query], classes[task.query_labels])
        assert len(set(task.support.tolist())) == task.support.numel()
        seen.add(task.classes)
    assert seen == {(1, 2), (1, 3), (2, 3)}  # every pair is drawn


def test_tasks_reproducible_and_exclusion_respected(graph):
    _, _, y = graph
    kwargs = dict(n_tasks=5, n_way=2, k_shot=1, k_query=3)
    a = sample_tasks(y, (0, 1), random_state=4, **kwargs)
    b = sample_tasks(y, (0, 1), random_state=4, **kwargs)
    c = sample_tasks(y, (0, 1), random_state=5, **kwargs)
    assert all(torch.equal(s.query, t.query) for s, t in zip(a, b, strict=True))
    assert not all(torch.equal(s.query, t.query) for s, t in zip(a, c, strict=True))
    banned = np.arange(0, 30, 2)  # every other node of classes 0 and 1
    for task in sample_tasks(y, (0, 1), random_state=6, exclude=banned, **kwargs):
        assert not set(banned) & set(task.support.tolist() + task.query.tolist())


def test_task_errors_name_the_parameter(graph):
    _, _, y = graph
    with pytest.raises(ValueError, match=r"k_shot \+ k_query must be at most 15.*k_shot=10"):
        sample_tasks(y, (0, 1), n_tasks=1, n_way=2, k_shot=10, k_query=6, random_state=0)
    with pytest.raises(ValueError, match=r"at most 8, the available nodes of class 0"):
        banned = np.arange(7)
        sample_tasks(
            y, (0, 1), n_tasks=1, n_way=2, k_shot=5, k_query=5, random_state=0, exclude=banned
        )
    with pytest.raises(ValueError, match=r"sample_tasks.n_way must be an integer in \[2, 3\]"):
        sample_tasks(y, (0, 1, 2), n_tasks=1, n_way=4, k_shot=1, k_query=1, random_state=0)
    with pytest.raises(ValueError, match=r"sample_tasks.classes must be distinct class ids"):
        sample_tasks(y, (0, 9), n_tasks=1, n_way=2, k_shot=1, k_query=1, random_state=0)
    with pytest.raises(ParameterTypeError, match="sample_tasks.random_state"):
        sample_tasks(y, (0, 1), n_tasks=1, n_way=2, k_shot=1, k_query=1, random_state=0.5)


def test_options_errors_name_the_parameter(graph):
    with pytest.raises(ValueError, match=r"MetaTrainingOptions.server_step must be one of"):
        MetaTrainingOptions(server_step="adam")
    with pytest.raises(ValueError, match=r"MetaTrainingOptions.n_way must be an integer in \[2"):
        MetaTrainingOptions(n_way=1)
    with pytest.raises(ValueError, match=r"clients_per_round must be in \[1, n_clients=3\]"):
        FedAvgOptions(n_clients=3, clients_per_round=4)
    x, ei, y = graph
    model, w = fresh(out=2)
    with pytest.raises(ValueError, match=r"options.n_way must be at most the model's 2 outputs"):
        meta_train(model, w, x, ei, y, (1, 2, 3), MetaTrainingOptions(n_way=3))
    with pytest.raises(ValueError, match=r"k_shot \+ k_query must be at most 15"):
        meta_train(model, w, x, ei, y, (2, 3), MetaTrainingOptions(k_shot=5, k_query=11))
    with pytest.raises(ValueError, match=r"train_classes must number at most the model's 2"):
        fedavg_pretrain(model, w, x, ei, y, (1, 2, 3))


# ---------------------------------------------------------------- MAML gradients


def deterministic_gcn(seed: int, dtype=torch.float32):
    """A GCN without dropout: meta_train puts the model in training mode."""
    with global_rng_seeded(seed):
        model = GCN(8, N_CLASSES, dropout=0.0).to(dtype)
    return model, weights_of(model)


def client_meta_gradient(monkeypatch, model, w, x, ei, y, **options):
    """One round with one client and the server step ``w - 1.0 * g`` (sgd, meta_lr 1, no
    weight decay): the client's meta-gradient ``g`` read off meta_train's result."""
    drawn = spy_tasks(monkeypatch)
    opts = MetaTrainingOptions(
        rounds=1, tasks_per_round=1, server_step="sgd", meta_lr=1.0, weight_decay=0.0, **options
    )
    new, history = meta_train(model, w, x, ei, y, (0, 1, 2, 3), opts, random_state=5)
    return drawn[-1], {k: w[k].detach() - new[k] for k in w}, history


def test_first_order_gradient_is_the_query_gradient_at_the_adapted_weights(graph, monkeypatch):
    """Independent route: adapt the module with torch.optim.SGD, backward the query loss."""
    x, ei, y = graph
    model, w = deterministic_gcn(1)
    options = dict(inner_steps=4, inner_lr=0.3, k_shot=2, k_query=5)
    task, gradient, history = client_meta_gradient(monkeypatch, model, w, x, ei, y, **options)

    optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
    for _ in range(4):
        optimizer.zero_grad()
        F.cross_entropy(model(x, ei)[task.support], task.support_labels).backward()
        optimizer.step()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x, ei)[task.query], task.query_labels)
    loss.backward()
    assert history.query_loss[0] == pytest.approx(float(loss.detach()), rel=1e-5)
    for name, p in model.named_parameters():
        torch.testing.assert_close(gradient[name], p.grad, rtol=1e-4, atol=1e-5)


def test_second_order_gradient_matches_finite_differences_and_differs_from_first_order(
    graph, monkeypatch
):
    x, ei, y = graph
    x = x.double()
    model, w = deterministic_gcn(3, torch.float64)
    steps, lr = 3, 0.5
    options = dict(inner_steps=steps, inner_lr=lr, k_query=5)
    task, second, _ = client_meta_gradient(
        monkeypatch, model, w, x, ei, y, first_order=False, **options
    )
    task_again, first, _ = client_meta_gradient(monkeypatch, model, w, x, ei, y, **options)
    assert torch.equal(task.query, task_again.query)

    def meta_loss(weights):  # L_query(adapt(w)), value only
        adapted, _ = sgd_adapt(
            model, weights, x, ei, task.support, task.support_labels, steps=steps, lr=lr
        )
        return float(node_loss(model, adapted, x, ei, task.query, task.query_labels).detach())

    direction = {
        k: torch.randn(v.shape, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
        for k, v in w.items()
    }
    eps = 1e-6
    plus = meta_loss({k: v.detach() + eps * direction[k] for k, v in w.items()})
    minus = meta_loss({k: v.detach() - eps * direction[k] for k, v in w.items()})
    numeric = (plus - minus) / (2 * eps)

    def along(grad):
        return float(sum((grad[k] * direction[k]).sum() for k in w))

    assert along(second) == pytest.approx(numeric, rel=1e-5, abs=1e-8)
    # the first-order approximation misses the inner loop's Jacobian by far more than that
    assert abs(along(first) - numeric) > 1e-3 * max(1.0, abs(numeric))


def test_adam_sign_server_step_is_a_sign_step_of_the_meta_gradient(graph, monkeypatch):
    """Each client's fresh Adam takes one step: lr * g / (|g| + eps) ~ lr * sign(g), with g the
    meta-gradient plus weight decay (the reference's per-client optimizer)."""
    x, ei, y = graph
    model, w = deterministic_gcn(2)
    _, g, _ = client_meta_gradient(monkeypatch, model, w, x, ei, y, inner_steps=3)
    options = MetaTrainingOptions(
        rounds=1, tasks_per_round=1, inner_steps=3, meta_lr=0.01, weight_decay=0.1
    )
    new, history = meta_train(model, w, x, ei, y, (0, 1, 2, 3), options, random_state=5)
    for k, v in w.items():
        decayed = g[k] + 0.1 * v.detach()
        large = decayed.abs() > 1e-4
        expected = v.detach() - 0.01 * torch.sign(decayed)
        torch.testing.assert_close(new[k][large], expected[large], rtol=0, atol=1e-6)
    assert history.method == "graphfl_maml" and len(history.query_loss) == 1


# ---------------------------------------------------------------- training behaviour


def test_training_never_sees_held_out_classes_and_is_reproducible(graph, monkeypatch):
    x, ei, y = graph
    drawn = spy_tasks(monkeypatch)
    split = class_split(N_CLASSES)
    model, w = fresh()
    options = MetaTrainingOptions(rounds=3, tasks_per_round=3, inner_steps=2)
    state = torch.get_rng_state()
    a, history = meta_train(model, w, x, ei, y, split.train, options, random_state=8)
    assert torch.equal(torch.get_rng_state(), state)  # the caller's generator is untouched
    b, _ = meta_train(model, w, x, ei, y, split.train, options, random_state=8)
    proto = ProtoTrainingOptions(rounds=2, tasks_per_round=3, local_steps=2)
    proto_train(model, w, x, ei, y, split.train, proto, random_state=8)
    assert len(drawn) > 3 * 3 + 2 * 3
    assert all(set(t.classes) <= set(split.train) for t in drawn)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert len(history.train_loss) == 3 and history.params["inner_steps"] == 2
    assert history.params["random_state"] == 8
    # the caller's weights and the module's own parameters are left alone
    assert all(torch.equal(w[k], p) for k, p in model.named_parameters())


def test_meta_training_then_fine_tuning_beats_chance_on_new_classes(graph):
    x, ei, y = graph
    split = class_split(N_CLASSES)
    test_tasks = sample_tasks(
        y, split.test, n_tasks=20, n_way=2, k_shot=1, k_query=10, random_state=11
    )
    model, w = fresh(seed=4)
    options = MetaTrainingOptions(rounds=8, tasks_per_round=4, inner_steps=5, meta_lr=0.01)
    trained, history = meta_train(model, w, x, ei, y, split.train, options, random_state=9)
    scores = finetune_evaluate(model, trained, x, ei, test_tasks, steps=20, lr=0.1)
    assert scores.curve.shape == (20, 21)
    np.testing.assert_array_equal(scores.per_task_final, scores.curve[:, -1])
    assert scores.best_step_mean >= scores.mean_final
    assert scores.mean_final > 0.75  # chance is 0.5
    assert scores.mean_final > scores.curve[:, 0].mean() + 0.1  # fine-tuning does the work
    assert history.query_loss[-1] < history.query_loss[0]


def test_fedavg_pretraining_learns_the_relabelled_training_classes(graph):
    x, ei, y = graph
    model, w = fresh(seed=5)
    options = FedAvgOptions(rounds=15, n_clients=4, clients_per_round=2, local_steps=5, lr=0.2)
    trained, history = fedavg_pretrain(model, w, x, ei, y, (1, 3), options, random_state=0)
    assert history.query_loss is None and history.train_loss[-1] < history.train_loss[0]
    nodes = torch.nonzero((y == 1) | (y == 3)).squeeze(1)
    relabelled = (y[nodes] == 3).long()  # class 1 -> output 0, class 3 -> output 1
    assert accuracy(model, trained, x, ei, nodes, relabelled) > 0.9


def test_prototypical_training_then_evaluation_beats_chance(graph):
    x, ei, y = graph
    split = class_split(N_CLASSES)
    tasks = sample_tasks(y, split.test, n_tasks=20, n_way=2, k_shot=1, k_query=10, random_state=11)
    model, w = fresh(seed=6)
    options = ProtoTrainingOptions(rounds=8, tasks_per_round=4, local_steps=5)
    trained, history = proto_train(model, w, x, ei, y, split.train, options, random_state=3)
    scores = proto_evaluate(model, trained, x, ei, tasks)
    assert scores.curve.shape == (20, 1) and scores.method == "proto"
    assert scores.mean_final > 0.75
    assert history.train_loss[-1] < history.train_loss[0]


# ---------------------------------------------------------------- prototypical loss


def test_prototypical_log_probs_by_hand():
    """Snell et al. 2017, Eq. 1-2 on 3 nodes: prototypes are the support embeddings."""
    support = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    query = torch.tensor([[0.5, 0.0]])
    log_p = prototype_log_probs(support, torch.tensor([0, 1]), query, 2)
    # squared distances 0.25 and 2.25: p0 = 1 / (1 + exp(-2))
    expected = torch.tensor([[-math.log1p(math.exp(-2.0)), -math.log1p(math.exp(2.0))]])
    torch.testing.assert_close(log_p, expected)


def test_prototype_is_the_mean_of_the_support_embeddings():
    support = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    labels = torch.tensor([0, 0, 1])  # prototype 0 = (1, 0), prototype 1 = (0, 2)
    log_p = prototype_log_probs(support, labels, torch.tensor([[1.0, 1.0]]), 2)
    # distances 1 and 2: p0 = 1 / (1 + exp(-1))
    assert float(log_p[0, 0]) == pytest.approx(-math.log1p(math.exp(-1.0)))
    with pytest.raises(ValueError, match=r"support_labels must hold every class 0 .. 2"):
        prototype_log_probs(support, labels, support, 3)


def test_prototypical_loss_uses_the_model_outputs_as_embeddings(graph):
    x, ei, y = graph
    model, w = fresh("sgc", seed=1)
    task = sample_tasks(y, (0, 1, 2), n_tasks=1, n_way=3, k_shot=2, k_query=2, random_state=0)[0]
    emb = model(x, ei)
    log_p = prototype_log_probs(emb[task.support], task.support_labels, emb[task.query], 3)
    expected = -log_p[torch.arange(6), task.query_labels].mean()
    torch.testing.assert_close(prototypical_loss(model, w, x, ei, task), expected)


def test_fine_tuning_scores_all_outputs_or_only_the_task_outputs(graph):
    """An output outside the task (index 2) that dominates every node: the reference rule
    (argmax over all outputs) scores 0 before fine-tuning; "first_n_way" ignores it."""
    x, ei, y = graph
    model, w = fresh("sgc", seed=0)
    w["conv.lin.bias"] = torch.tensor([0.0, 0.0, 100.0, 0.0])
    tasks = sample_tasks(y, (0, 1), n_tasks=4, n_way=2, k_shot=1, k_query=5, random_state=0)
    every = finetune_evaluate(model, w, x, ei, tasks, steps=0)
    first = finetune_evaluate(model, w, x, ei, tasks, steps=3, outputs="first_n_way")
    assert every.mean_final == 0.0 and first.curve[:, 0].mean() > 0.0
    assert first.params["outputs"] == "first_n_way" and first.curve.shape == (4, 4)
    with pytest.raises(ValueError, match=r"finetune_evaluate.outputs must be one of 'all'"):
        finetune_evaluate(model, w, x, ei, tasks, outputs="task")
