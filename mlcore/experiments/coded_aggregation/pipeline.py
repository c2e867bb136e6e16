"""One seed of the coded subset aggregation reproduction, as named stages: prepare the users
(non-IID split, planted BadNets attackers), build the codes, train and certify each code's
sub-models, locate the attackers with the Kautz-Singleton code, and train plain FedAvg."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...data import ImageDataset
from ...federated import Client, FedAvg, LocalTraining
from ...partition import dirichlet_partition, shard_partition
from ...poisoning import (
    MLP,
    BadNets,
    anneal_code,
    attack_success_rate,
    certifiable_users,
    certified_accuracy,
    certify,
    cyclic_code,
    decode,
    is_disjunct,
    kautz_singleton_code,
    kautz_singleton_design_k,
    majority_vote,
    partition_code,
    positive_tests,
    projective_plane_code,
    random_selection_code,
    reach_profile,
    submodel_votes,
    train_submodels,
    utilization,
)
from ...poisoning.codes import _is_prime
from ...training import predict_logits
from .records import (
    N_CLASSES,
    CodedAggregationMetrics,
    CodedAggregationParams,
    CodeMetrics,
    FedAvgMetrics,
    Localization,
)

__all__ = ["Users", "run", "build_codes"]

#: exhaustive disjunctness checks only below this many (user, k-set) pairs
_MAX_DISJUNCT_CHECK = 2_000_000


@dataclass(frozen=True)
class Users:
    """The federation of one seed: poisoned training arrays, per-user indices, attackers,
    the clean test set and its triggered non-target part."""

    X: np.ndarray
    y: np.ndarray
    indices: tuple[np.ndarray, ...]
    attackers: tuple[int, ...]
    test: ImageDataset
    triggered: ImageDataset
    attack: BadNets
    users_per_class: tuple[int, ...]


def _check(p: CodedAggregationParams) -> None:
    if p.n_attackers > p.n_users:
        raise ValueError(
            f"CodedAggregationParams.n_attackers must be <= n_users = {p.n_users}; "
            f"got {p.n_attackers}"
        )
    if p.column_weight > p.n_submodels or p.n_submodels > p.n_users:
        raise ValueError(
            f"CodedAggregationParams: need column_weight <= n_submodels <= n_users; got "
            f"{p.column_weight}, {p.n_submodels}, {p.n_users}"
        )
    if not _is_prime(p.ks_prime):
        raise ValueError(f"CodedAggregationParams.ks_prime must be a prime; got {p.ks_prime}")


def prepare_users(p: CodedAggregationParams, ctx) -> Users:
    """Split the training data among users (in a random order, so that no code sees the
    split's structure), plant the attackers and poison their data."""
    train, test = ctx.image_split(
        "mnist_subset", test_fraction=p.test_fraction, n_samples=p.n_samples
    )
    rng = ctx.streams.numpy("users")
    if p.split == "shard":
        part = shard_partition(
            train.y, p.n_users, classes_per_client=p.classes_per_user, random_state=rng
        )
    else:
        part = dirichlet_partition(train.y, p.n_users, alpha=p.dirichlet_alpha, random_state=rng)
    indices = tuple(part.indices[j] for j in rng.permutation(p.n_users))
    attackers = tuple(
        sorted(
            int(a)
            for a in ctx.streams.numpy("attackers").choice(
                p.n_users, size=p.n_attackers, replace=False
            )
        )
    )
    attack = BadNets(target=p.target, patch_size=p.patch_size, poison_fraction=p.poison_fraction)
    X, y = train.X.copy(), train.y.copy()
    poison_rng = ctx.streams.numpy("poison")
    for a in attackers:
        idx = indices[a]
        X[idx], y[idx], _ = attack.poison(X[idx], y[idx], poison_rng)
    keep = test.y != p.target
    triggered = ImageDataset(attack.trigger(test.X[keep]), test.y[keep], "triggered test")
    # the same non-target images without the trigger: ``triggered.X`` is a patched copy
    per_class = np.zeros(N_CLASSES, dtype=int)
    for idx in indices:
        per_class[np.unique(train.y[idx])] += 1
    return Users(
        X, y, indices, attackers, test, triggered, attack, tuple(int(c) for c in per_class)
    )


def build_codes(p: CodedAggregationParams, ctx) -> tuple[dict[str, np.ndarray], tuple]:
    """The compared codes at equal sub-models and (up to rounding) equal utilization, the
    localization code, and the annealing objectives (start, end)."""
    N, M, d = p.n_users, p.n_submodels, p.column_weight
    codes = {"partition": partition_code(N, M)}
    s = max(1, round(d * N / M))  # users per sub-model giving utilization s / N ~ d / M
    codes["random_selection"] = random_selection_code(
        N, M, s, random_state=ctx.streams.numpy("random_code")
    )
    codes["cyclic"] = cyclic_code(N, M, d)
    q = round((math.sqrt(4 * N - 3) - 1) / 2)
    if N == M == q * q + q + 1 and d == q + 1 and _is_prime(q):
        codes["projective_plane"] = projective_plane_code(q)
    k_anneal = min(max(p.n_attackers, 1), N)
    annealed = anneal_code(
        codes["cyclic"],
        k_anneal,
        iterations=p.anneal_iterations,
        random_state=ctx.streams.numpy("anneal"),
    )
    codes["annealed"] = annealed.code
    codes["kautz_singleton"] = kautz_singleton_code(N, p.ks_prime)
    return codes, (annealed.start_objective, annealed.objective)


def _votes(models, users: Users) -> tuple[np.ndarray, np.ndarray]:
    return submodel_votes(models, users.test.X), submodel_votes(models, users.triggered.X)


def _target_rate_clean(prediction: np.ndarray, users: Users, target: int) -> float:
    """Share of clean non-target test images predicted ``target``."""
    return attack_success_rate(prediction, users.test.y, target)


def _code_metrics(name, C, votes, votes_trig, users: Users, p, threshold) -> CodeMetrics:
    ks = np.arange(p.k_max + 1)
    reaches = reach_profile(C, min(p.k_max, C.shape[1]))
    cert = certify(C, votes, N_CLASSES, reach=[r.value for r in reaches])
    y = users.test.y

    def certified(method):
        return tuple(float(a) for a in certified_accuracy(cert, y, ks, method=method))

    vote_trig = majority_vote(votes_trig, N_CLASSES)[0]
    sub_asr = [attack_success_rate(v, users.triggered.y, p.target) for v in votes_trig]
    return CodeMetrics(
        code=name,
        n_submodels=int(C.shape[0]),
        utilization=utilization(C),
        max_column_weight=int(C.sum(axis=0).max()),
        reach=tuple(r.value for r in reaches),
        reach_exact=tuple(r.exact for r in reaches),
        certifiable_users=certifiable_users(C),
        clean_accuracy=float(np.mean(cert.prediction == y)),
        mean_submodel_accuracy=float(np.mean(votes == y[None, :])),
        certified_accuracy=certified("best"),
        certified_accuracy_greedy=certified("greedy"),
        certified_accuracy_reach=certified("reach"),
        attack_success_rate=attack_success_rate(vote_trig, users.triggered.y, p.target),
        target_rate_clean=_target_rate_clean(cert.prediction, users, p.target),
        backdoored_submodels=int(positive_tests(sub_asr, threshold).sum()),
    )


def _train_code(name: str, C, users: Users, p: CodedAggregationParams, ctx):
    return train_submodels(
        C,
        users.indices,
        users.X,
        users.y,
        factory=lambda: MLP(784, p.hidden, N_CLASSES),
        epochs=p.epochs,
        lr=p.lr,
        batch_size=p.batch_size,
        random_state=ctx.streams.seed(f"train_{name}"),
        device=ctx.device,
        progress=ctx.progress,
        desc=name,
    )


def code_step(name: str, C, users: Users, p: CodedAggregationParams, ctx) -> CodeMetrics:
    """Train, vote, certify and attack one code (a resumable step)."""

    def compute():
        votes, votes_trig = _votes(_train_code(name, C, users, p, ctx), users)
        return _code_metrics(name, C, votes, votes_trig, users, p, p.detection_threshold)

    return ctx.metrics_step(f"code_{name}", CodeMetrics, compute)


def localization_step(C, users: Users, p: CodedAggregationParams, ctx):
    """The Kautz-Singleton code: its certificate like any code, and COMP decoding of its
    per-sub-model backdoor tests (a resumable step)."""
    design_k = kautz_singleton_design_k(p.n_users, p.ks_prime)

    def compute():
        votes, votes_trig = _votes(_train_code("kautz_singleton", C, users, p, ctx), users)
        metrics = _code_metrics(
            "kautz_singleton", C, votes, votes_trig, users, p, p.detection_threshold
        )
        rates = [attack_success_rate(v, users.triggered.y, p.target) for v in votes_trig]
        positive = positive_tests(rates, p.detection_threshold)
        named = tuple(int(j) for j in decode(C, positive))
        truth = set(users.attackers)
        n_pairs = C.shape[1] * math.comb(C.shape[1] - 1, design_k)
        loc = Localization(
            design_k=design_k,
            disjunct_verified=bool(n_pairs <= _MAX_DISJUNCT_CHECK and is_disjunct(C, design_k)),
            attackers=users.attackers,
            identified=named,
            true_positives=len(truth & set(named)),
            false_positives=len(set(named) - truth),
            false_negatives=len(truth - set(named)),
            positive_submodels=int(positive.sum()),
        )
        return {"code": metrics.to_dict(), "localization": loc.to_dict()}

    out = ctx.step("code_kautz_singleton", compute)
    return CodeMetrics.from_dict(out["code"]), Localization.from_dict(out["localization"])


def fedavg_step(users: Users, p: CodedAggregationParams, ctx) -> FedAvgMetrics:
    """Plain FedAvg over every user, attackers included (a resumable step)."""

    def compute():
        training = LocalTraining(local_epochs=1, batch_size=p.batch_size, lr=p.fedavg_lr)
        clients = [Client(idx, training) for idx in users.indices]
        sim = FedAvg(
            clients,
            users.X,
            users.y,
            options={"fraction": 1.0},
            device=ctx.device,
            random_state=ctx.streams.seed("fedavg"),
            progress=ctx.progress,
        )
        model = sim.run(p.fedavg_rounds, ctx.init_model(lambda: MLP(784, p.hidden), "fedavg_init"))
        clean = predict_logits(model.model, users.test.X).argmax(1).numpy()
        trig = predict_logits(model.model, users.triggered.X).argmax(1).numpy()
        return FedAvgMetrics(
            clean_accuracy=float(np.mean(clean == users.test.y)),
            attack_success_rate=attack_success_rate(trig, users.triggered.y, p.target),
            target_rate_clean=_target_rate_clean(clean, users, p.target),
        )

    return ctx.metrics_step("fedavg", FedAvgMetrics, compute)


def run(p: CodedAggregationParams, ctx) -> CodedAggregationMetrics:
    """One seed: users, codes, each code trained and certified, localization, FedAvg."""
    _check(p)
    with ctx.stage("prepare_users"):
        users = prepare_users(p, ctx)
    with ctx.stage("build_codes"):
        codes, (anneal_start, anneal_end) = build_codes(p, ctx)
    with ctx.stage("train_and_certify"):
        results = [
            code_step(n, C, users, p, ctx) for n, C in codes.items() if n != "kautz_singleton"
        ]
    with ctx.stage("localize"):
        ks_metrics, localization = localization_step(codes["kautz_singleton"], users, p, ctx)
    with ctx.stage("fedavg"):
        fedavg = fedavg_step(users, p, ctx)
    return CodedAggregationMetrics(
        n_train=int(users.y.size),
        n_test=int(users.test.y.size),
        users_per_class=users.users_per_class,
        codes=(*results, ks_metrics),
        localization=localization,
        fedavg=fedavg,
        anneal_start_objective=float(anneal_start),
        anneal_objective=float(anneal_end),
    )
