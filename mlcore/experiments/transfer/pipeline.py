"""One seed of the disjoint-label-space transfer reproduction, per environment: train the white
box and the black box, measure the class correspondence matrix, attack every black-box target
through its proxies (logit-space MI-FGSM with input diversity, feature-space attack) against
random proxies and an untargeted attack, and run the query attacks with and without the
transfer prior. Every environment is a resumable step of the run's checkpoints."""

from __future__ import annotations

import numpy as np
import torch

from ...attacks import PGD, ThreatModel
from ...attacks.feature_attack import FeatureSpaceAttack, train_feature_heads
from ...attacks.prior import RGF, gradient_prior
from ...attacks.square_start import SquareFromStart
from ...attacks.targeted import ProxyObjective, TargetedMomentum
from ...training import fit, predict_logits
from ...transfer.correspondence import environment_correspondence
from ...transfer.environments import make_environment
from ...transfer.models import small_cnn
from .._common import staged_metrics
from .records import (
    TRANSFER_METHODS,
    EnvironmentMetrics,
    QueryPoint,
    TargetPoint,
    TransferMetrics,
    TransferParams,
    TransferPoint,
)

__all__ = ["run", "FEATURE_LAYER"]

#: The white-box layer the feature-space attack's heads read.
FEATURE_LAYER = "features.pool2"


def _trained(ctx, name: str, n_classes: int, data, params: TransferParams, stream: str):
    seed = ctx.streams.seed(f"{stream}_init")
    net = small_cnn(n_classes, random_state=seed)
    return ctx.trained(
        name,
        net,
        lambda m: fit(
            m,
            data,
            epochs=params.epochs,
            lr=params.lr,
            seed=ctx.streams.seed(f"{stream}_train"),
            progress=False,
        ),  # fmt: skip
    ).eval()


def _predict(model, X) -> np.ndarray:
    """The model's logits as a float numpy array."""
    out = predict_logits(model, X)
    return out.cpu().numpy() if isinstance(out, torch.Tensor) else np.asarray(out)


def _attack_sets(labels: np.ndarray, n_bb: int, size: int, rng) -> list[np.ndarray]:
    """Per target: up to ``size`` black-box test images of the other classes (whatever the
    black box predicts on them: those it already labels with the target make the base rate)."""
    out = []
    for t in range(n_bb):
        pool = np.flatnonzero(labels != t)
        out.append(np.sort(rng.choice(pool, size=min(size, pool.size), replace=False)))
    return out


def _clean_rank(bb_logits: np.ndarray, target: int) -> np.ndarray:
    """1-based rank of ``target`` among the black box's clean scores (1 = its prediction)."""
    return 1 + (bb_logits > bb_logits[:, [target]]).sum(1)


class _Environment:
    """Everything one environment of one seed needs, built once."""

    def __init__(self, params: TransferParams, ctx, name: str):
        p, s = params, ctx.streams
        self.p, self.ctx, self.name = p, ctx, name
        self.env = make_environment(
            name, random_state=s.numpy(f"env_{name}"), n_per_class=p.n_per_class
        )
        e = self.env
        self.wb = _trained(ctx, f"{name}-wb", e.n_wb, e.wb_train, p, f"wb_{name}")
        self.bb = _trained(ctx, f"{name}-bb", e.n_bb, e.bb_train, p, f"bb_{name}")
        self.matrix = environment_correspondence(e, self.bb)
        self.bb_logits = _predict(self.bb, e.bb_test.X)
        self.sets = _attack_sets(e.bb_test.y, e.n_bb, p.attack_images, s.numpy(f"sets_{name}"))
        self.random_proxies = s.numpy(f"random_proxies_{name}")

    def accuracy(self, model, data) -> float:
        return float((_predict(model, data.X).argmax(1) == data.y).mean())

    def objective(self, target: int, random: bool = False) -> ProxyObjective:
        k = self.p.top_k
        if random:
            classes = self.random_proxies.choice(self.env.n_wb, size=k, replace=False)
            return ProxyObjective(tuple(int(c) for c in classes))
        classes, weights = self.matrix.proxies(target, k)
        return ProxyObjective(tuple(int(c) for c in classes), tuple(float(w) for w in weights))

    def success(self, x_adv: np.ndarray, target: int) -> np.ndarray:
        return _predict(self.bb, x_adv).argmax(1) == target

    def transfer(self, method: str, eps: float, target: int, heads=None) -> np.ndarray:
        """Per attacked image of ``target``: does the black box predict it after the attack?"""
        p, x = self.p, self.env.bb_test.X[self.sets[target]]
        threat = ThreatModel(norm="linf", epsilon=eps, steps=p.steps, step_size=eps / p.steps)
        rng = self.ctx.streams.seed(f"attack_{self.name}_{method}_{eps:g}_{target}")
        if method == "random_noise":  # the same budget spent on random +-eps signs
            signs = np.random.default_rng(rng).choice([-1.0, 1.0], size=x.shape)
            return self.success(np.clip(x + eps * signs, 0, 1).astype(np.float32), target)
        if method == "untargeted":
            y_wb = _predict(self.wb, x).argmax(1)
            x_adv = PGD(threat).generate(self.wb, x, y_wb, rng=rng)
        elif method == "proxy_feature":
            attack = FeatureSpaceAttack(threat, FEATURE_LAYER, heads, momentum=p.momentum)
            x_adv = attack.generate(self.wb, x, self.objective(target), rng)
        else:
            attack = TargetedMomentum(threat, momentum=p.momentum, diversity_prob=p.diversity_prob)
            objective = self.objective(target, random=method == "random_proxy_momentum")
            x_adv = attack.generate(self.wb, x, objective, rng)
        return self.success(x_adv, target)


def _transfer_points(env: _Environment, heads) -> tuple[list, list]:
    p, n_bb = env.p, env.env.n_bb
    # the clean base rate: attacked images the black box labels with the target before the attack
    base = [float((env.bb_logits[env.sets[t]].argmax(1) == t).mean()) for t in range(n_bb)]
    points, per_target = [], {}
    for eps in p.epsilons:
        for method in TRANSFER_METHODS:
            hits = [env.transfer(method, eps, t, heads) for t in range(n_bb)]
            per_target[(method, eps)] = hits
            rate = float(np.mean([h.mean() for h in hits]))
            points.append(TransferPoint(env.name, method, eps, rate, float(np.mean(base))))
    middle = p.epsilons[len(p.epsilons) // 2]
    targets = []
    for t in range(n_bb):
        hits = per_target[("proxy_momentum", middle)][t]
        rank = _clean_rank(env.bb_logits[env.sets[t]], t)
        by_rank = tuple(
            float(hits[rank == r].mean()) if (rank == r).any() else float("nan")
            for r in range(1, n_bb + 1)
        )
        targets.append(
            TargetPoint(env.name, t, env.matrix.strength(t), float(hits.mean()), by_rank)
        )
    return points, targets


def _query_points(env: _Environment) -> list[QueryPoint]:
    p, s = env.p, env.ctx.streams
    threat = ThreatModel(
        norm="linf", epsilon=p.query_epsilon, steps=p.steps,
        step_size=p.query_epsilon / p.steps, query_budget=p.query_budget,
    )  # fmt: skip
    idx = [st[: p.query_images] for st in env.sets]
    x = np.concatenate([env.env.bb_test.X[i] for i in idx])
    target = np.concatenate([np.full(len(i), t) for t, i in enumerate(idx)])
    objectives = [env.objective(t) for t in range(env.env.n_bb)]
    proxy = np.array([[c for c in objectives[t].classes] for t in target])
    weights = np.array([objectives[t].weights for t in target])
    start = np.concatenate(
        [
            TargetedMomentum(threat, momentum=p.momentum, diversity_prob=p.diversity_prob).generate(
                env.wb, env.env.bb_test.X[i], objectives[t], s.seed(f"start_{env.name}_{t}")
            )
            for t, i in enumerate(idx)
        ]
    )
    rgf = RGF(threat)
    square = SquareFromStart(threat)
    runs = {
        ("rgf", False): lambda: rgf.run(env.bb, x, target, s.seed(f"rgf_{env.name}")),
        ("rgf", True): lambda: rgf.run(
            env.bb,
            x,
            target,
            s.seed(f"rgf_{env.name}"),
            prior=gradient_prior(env.wb, proxy, weights=weights),
        ),  # fmt: skip
        ("square", False): lambda: square.run(env.bb, x, target, s.seed(f"square_{env.name}")),
        ("square", True): lambda: square.run(
            env.bb, x, target, s.seed(f"square_{env.name}"), start=start
        ),
    }
    out = []
    for (attack, prior), call in runs.items():
        res = call()
        censored = np.where(res.success, res.queries, res.budget)  # a failure costs the budget
        out.append(
            QueryPoint(
                env.name,
                attack,
                prior,
                success=float(res.success.mean()),
                median_queries=float(np.median(censored)),
                mean_queries=float(res.queries.mean()),
            )
        )
    return out


def _environment_metrics(params: TransferParams, ctx, name: str) -> EnvironmentMetrics:
    env = _Environment(params, ctx, name)
    heads = train_feature_heads(
        env.wb, FEATURE_LAYER, env.env.wb_train, epochs=params.feature_epochs,
        random_state=ctx.streams.seed(f"heads_{name}"),
    )  # fmt: skip
    points, targets = _transfer_points(env, heads)
    return EnvironmentMetrics(
        environment=name,
        whitebox_accuracy=env.accuracy(env.wb, env.env.wb_test),
        blackbox_accuracy=env.accuracy(env.bb, env.env.bb_test),
        correspondence=tuple(tuple(int(v) for v in row) for row in env.matrix.counts),
        transfer=tuple(points),
        targets=tuple(targets),
        queries=tuple(_query_points(env)),
    )


def run(params: TransferParams, ctx) -> TransferMetrics:
    """One seed (``ctx``: :class:`mlcore.runner.RunContext`)."""
    return TransferMetrics(
        staged_metrics(
            ctx,
            params.environments,
            EnvironmentMetrics,
            lambda name: _environment_metrics(params, ctx, name),
        )
    )
