"""The stages of one seed: FedAvg accuracy under each defense, then every attack on every
defense's share of single digits, then Soteria's certified distances.

Networks (``../shared/papers/2012.06043.md``, Sec. 3): DLG attacks DLG's sigmoid LeNet with
uniform(-0.5, 0.5) weights, GS attacks Inverting Gradients' ConvNet; both at initialisation
(the reference code attacks untrained networks), the ConvNet in eval mode (BatchNorm with its
initial statistics, as the reference does). A client shares the gradient of one digit; every
defense acts on it as the client-update transform the federated simulation uses, so the
attacker sees exactly what a defended client sends.

Randomness: the streams ``split`` (data), ``targets`` (which digits are attacked),
``init_dlg_lenet`` and ``init_convnet`` (the attacked networks, also FedAvg's starting point),
``attack`` (dummy images), ``defense`` (DP and noise draws), ``partition`` (clients' data) and
``fedavg`` (client sampling and batch order).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...attacks import DLG, DLGOptions, InvertingGradients, InvertingGradientsOptions
from ...data import iid_partition
from ...federated import Client, ClientUpdate, FedAvg, LocalContext, LocalTraining
from ...models import ConvNet, DLGLeNet
from ...privacy import (
    DPGaussian,
    GradientPruning,
    Soteria,
    SoteriaOptions,
    UnclippedNoise,
    certified_bound,
    defended_layer,
    reconstruction_metrics,
    soteria_mask,
    soteria_scores,
)
from ...rng import seed_from
from ...training import evaluate
from .records import (
    AccuracyPoint,
    AttackPoint,
    BoundPoint,
    Reconstruction,
    SoteriaMetrics,
    SoteriaParams,
    encode_image,
)

__all__ = ["run", "NETWORKS", "MNIST_STD"]

#: Standard deviation of MNIST pixels, for MSE in normalized space (MSE / std^2).
MNIST_STD = 0.3081
#: network name -> the attack that targets it
NETWORKS = {"dlg_lenet": "dlg", "convnet": "gs"}
#: defenses whose FedAvg accuracy is measured, per network. Gradient pruning's accuracy is
#: measured on the LeNet only: on the ConvNet every FedAvg run costs minutes, and Soteria's
#: rates (whose accuracy chooses the rate the claims are checked at) come first.
ACCURACY_DEFENSES = {
    "dlg_lenet": ("none", "soteria", "prune", "noise"),
    "convnet": ("none", "soteria", "noise"),
}


def _network(name: str, p: SoteriaParams) -> nn.Module:
    return DLGLeNet() if name == "dlg_lenet" else ConvNet(width=p.gs_width)


def make_transform(defense: str, rate: float | None, p: SoteriaParams):
    """The client-update transform of ``defense`` (None for no defense)."""
    if defense == "soteria":
        options = SoteriaOptions(pruning_rate=rate, offset=p.offset, max_samples=p.score_samples)
        return Soteria(options)
    if defense == "prune":
        return GradientPruning(rate)
    if defense == "dp":
        return DPGaussian(p.dp_clip_norm, p.dp_noise_multiplier, p.dp_delta)
    if defense == "noise":
        return UnclippedNoise(p.noise_scale)
    return None


def _settings(p: SoteriaParams, defenses) -> list[tuple[str, float | None]]:
    out: list[tuple[str, float | None]] = []
    for defense in defenses:
        if defense in ("soteria", "prune"):
            out += [(defense, float(rate)) for rate in p.pruning_rates]
        else:
            out.append((defense, None))
    return out


# -- FedAvg accuracy ---------------------------------------------------------------------------


def _local_training(network: str, p: SoteriaParams) -> LocalTraining:
    """Adam for both networks: plain SGD barely moves the sigmoid LeNet from its
    uniform(-0.5, 0.5) start (51 % after 20 rounds at lr 0.05, momentum 0.9, against 88 % with
    Adam at 1e-2), and left the BatchNorm ConvNet at chance on two of three seeds."""
    lr = p.lenet_lr if network == "dlg_lenet" else p.convnet_lr
    return LocalTraining(
        local_steps=p.local_steps, batch_size=p.batch_size, optimizer="adam", lr=lr
    )


def _fedavg_accuracy(network, defense, rate, p, ctx, train, test, init) -> AccuracyPoint:
    """Test accuracy after ``p.rounds`` (``p.lenet_rounds`` for the LeNet) FedAvg rounds of
    weight-change shares under ``defense`` (DP's per-sample clipping acts on single gradients,
    not on a weight change after several local steps, so it is judged on the attacks'
    single-gradient shares only)."""
    part = iid_partition(train.y, p.n_clients, random_state=ctx.streams.seed("partition"))
    training = _local_training(network, p)
    sim = FedAvg(
        [Client(idx, training) for idx in part],
        train.X,
        train.y,
        options={"clients_per_round": p.clients_per_round},
        transform=make_transform(defense, rate, p),
        device=ctx.device,
        random_state=ctx.streams.seed("fedavg"),
        progress=False,
    )
    result = sim.run(p.lenet_rounds if network == "dlg_lenet" else p.rounds, init)
    return AccuracyPoint(network, defense, rate, evaluate(result.model, test))


# -- attacks -----------------------------------------------------------------------------------


def _shared_update(model, x, y, defense, rate, p, generator) -> ClientUpdate:
    """What a client holding the one digit ``x`` sends: its gradient after ``defense``."""
    loss_fn = nn.functional.cross_entropy
    model.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    tensors = {n: g.detach().double() for (n, _), g in zip(model.named_parameters(), grads)}
    context = LocalContext(model, x, y, loss_fn)
    update = ClientUpdate(0, 1, "gradient", tensors, float(loss.detach()), context)
    transform = make_transform(defense, rate, p)
    return update if transform is None else transform(update, generator)


def _attack(name: str, p: SoteriaParams, layer: str):
    if name == "dlg":
        return DLG(DLGOptions(iterations=p.dlg_iterations, label="idlg"))
    options = InvertingGradientsOptions(iterations=p.gs_iterations, tv_weight=p.gs_tv_weight)
    exclude = (f"{layer}.weight",) if name == "gs_adaptive" else ()
    return InvertingGradients(options, exclude=exclude)


def _digit(train, index: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Training digit ``index`` as a batch of one: ``(1, c, h, w)`` image and ``(1,)`` label."""
    x = torch.as_tensor(train.X[index : index + 1], dtype=torch.float32, device=device)
    return x, torch.as_tensor(train.y[index : index + 1], dtype=torch.long, device=device)


def _attack_point(attack, defense, rate, model, p, ctx, train, targets) -> AttackPoint:
    """Attack every digit of ``targets`` under ``defense`` (one shared gradient each)."""
    layer, _ = defended_layer(model)
    images = []
    for k, index in enumerate(targets):
        x, y = _digit(train, int(index), ctx.device)
        noise_seed = np.random.SeedSequence(ctx.streams.seed("defense"), spawn_key=(k,))
        generator = torch.Generator().manual_seed(seed_from(noise_seed))
        update = _shared_update(model, x, y, defense, rate, p, generator)
        result = _attack(attack, p, layer).run(
            model,
            update.tensors,
            None,
            1,
            tuple(x.shape[1:]),
            rng=np.random.SeedSequence(ctx.streams.seed("attack"), spawn_key=(k,)),
        )
        quality = reconstruction_metrics(x.cpu().numpy(), result.images, std=MNIST_STD)
        images.append(
            Reconstruction(
                index=int(index),
                label_correct=bool(result.labels[0] == int(y[0])),
                mse=float(quality.mse[0]),
                mse_normalized=float(quality.mse_normalized[0]),
                psnr=float(quality.psnr[0]),
                ssim=float(quality.ssim[0]),
                matching_loss=float(result.matching_loss),
                image=encode_image(result.images[0]) if k == 0 else "",
            )
        )
    return AttackPoint(attack, defense, rate, tuple(images))


def _chosen_rate(accuracy, network: str, p: SoteriaParams) -> float | None:
    """The largest Soteria rate whose accuracy is within the budget of no defense."""
    base = next(a.accuracy for a in accuracy if (a.network, a.defense) == (network, "none"))
    ok = [
        a.rate
        for a in accuracy
        if a.network == network
        and a.defense == "soteria"
        and 100 * (base - a.accuracy) <= p.accuracy_budget
    ]
    return max(ok) if ok else None


def _bound_point(network, rate, model, p, ctx, train, targets, dlg_point) -> BoundPoint:
    """Median over ``targets`` of the certified and linearized distances of Soteria's share at
    ``rate`` (the mask depends on the digit and the model only, not on the gradient)."""
    lower, linear = [], []
    for index in targets:
        x, _ = _digit(train, int(index), ctx.device)
        mask = soteria_mask(soteria_scores(model, x, offset=p.offset), rate)
        bound = certified_bound(model, x, mask)
        lower.append(bound.distance_lower_bound)
        linear.append(bound.linearized_distance)
    reached = [np.sqrt(r.mse * np.prod(train.X.shape[1:])) for r in dlg_point.images]
    return BoundPoint(
        network, rate, float(np.median(lower)), float(np.median(linear)), float(np.median(reached))
    )


# -- one seed ----------------------------------------------------------------------------------


def _accuracy_stage(p, ctx, train, test, models) -> tuple[AccuracyPoint, ...]:
    return tuple(
        ctx.metrics_step(
            f"accuracy_{net}_{d}_{r}",
            AccuracyPoint,
            lambda net=net, d=d, r=r: _fedavg_accuracy(net, d, r, p, ctx, train, test, models[net]),
        )
        for net in NETWORKS
        for d, r in _settings(p, ACCURACY_DEFENSES[net])
    )


def _attack_stage(p, ctx, train, targets, models) -> tuple[AttackPoint, ...]:
    """DLG on ``dlg_images`` undefended digits and ``defended_images`` per defense; GS and the
    adaptive GS on ``gs_images`` digits (the first of ``targets``, so all compare alike)."""
    jobs = []
    for attack in ("dlg", "gs"):
        for defense, rate in _settings(p, ("none", "soteria", "prune", "dp", "noise")):
            n = p.gs_images
            if attack == "dlg":
                n = p.dlg_images if defense == "none" else p.defended_images
            jobs.append((attack, defense, rate, n))
    jobs += [("gs_adaptive", "soteria", float(rate), p.gs_images) for rate in p.pruning_rates]
    return tuple(
        ctx.metrics_step(
            f"attack_{attack}_{defense}_{rate}",
            AttackPoint,
            lambda a=attack, d=defense, r=rate, n=n: _attack_point(
                a, d, r, models["dlg_lenet" if a == "dlg" else "convnet"], p, ctx, train,
                targets[:n],
            ),
        )
        for attack, defense, rate, n in jobs
    )  # fmt: skip


def _bound_stage(p, ctx, train, targets, model, attacks) -> tuple[BoundPoint, ...]:
    dlg = {a.rate: a for a in attacks if (a.attack, a.defense) == ("dlg", "soteria")}
    return tuple(
        ctx.metrics_step(
            f"bound_{float(rate)}",
            BoundPoint,
            lambda r=float(rate): _bound_point("dlg_lenet", r, model, p, ctx, train,
                                               targets[: p.defended_images], dlg[r]),
        )
        for rate in p.pruning_rates
    )  # fmt: skip


def run(p: SoteriaParams, ctx) -> SoteriaMetrics:
    """One seed: data, FedAvg accuracy per defense and network, the attacks, the bounds."""
    with ctx.stage("prepare_data"):
        train, test = ctx.image_split(
            "mnist_subset", test_fraction=p.test_fraction, n_samples=p.n_samples
        )
        targets = ctx.streams.numpy("targets").choice(len(train), p.dlg_images, replace=False)
        models = {
            net: ctx.init_model(lambda net=net: _network(net, p), f"init_{net}").eval()
            for net in NETWORKS
        }
    with ctx.stage("fedavg_accuracy"):
        accuracy = _accuracy_stage(p, ctx, train, test, models)
    with ctx.stage("attacks"):
        attacks = _attack_stage(p, ctx, train, targets, models)
    with ctx.stage("certified_bounds"):
        bounds = _bound_stage(p, ctx, train, targets, models["dlg_lenet"], attacks)
    epsilon = DPGaussian(p.dp_clip_norm, p.dp_noise_multiplier, p.dp_delta).epsilon(
        steps=1, sample_rate=1.0
    )
    return SoteriaMetrics(
        n_train=len(train),
        n_test=len(test),
        original_image=encode_image(np.asarray(train.X[int(targets[0])])),
        attacks=attacks,
        accuracy=accuracy,
        chosen_rate_dlg=_chosen_rate(accuracy, "dlg_lenet", p),
        chosen_rate_gs=_chosen_rate(accuracy, "convnet", p),
        dp_epsilon_per_round=float(epsilon),
        bounds=bounds,
    )
