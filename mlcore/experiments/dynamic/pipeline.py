"""One seed of the dynamic-topology reproduction, per data set: a network trained statically
and one trained with a random configuration per mini-batch (stage one, same initial weights),
the table of every configuration on every test image (the oracle, the worst configuration,
the training-free selectors, the oracle with 1 to 4 dynamic layers), learned selectors trained
on the table of a part of the training set (stage two), and the cost of each choice."""

from __future__ import annotations

import numpy as np
import torch

from ...dynamic.cost import count_macs
from ...dynamic.network import StriderNet
from ...dynamic.options import STRIDE_OPTIONS, UPSAMPLE_OPTIONS
from ...dynamic.oracle import ConfigurationScores, Selection, score_configurations
from ...dynamic.selectors import (
    SelectorSet,
    learned_selection,
    route,
    selector_targets,
    train_selectors,
)
from ...dynamic.training import fit_random_configurations, fit_static
from .._common import staged_metrics
from .records import DatasetMetrics, DynamicMetrics, DynamicParams, FixedExample, SelectionPoint

__all__ = ["run", "GEOMETRY", "make_network"]

#: Per data set: the stem's stride and the downsampling bounds, which leave every one of the
#: 4^k configurations of the four stride options (4, 16, 64, 256), as in the authors' latest
#: code; they bite with the upsampling options. 28x28 MNIST: a stride-2 stem (the
#: reference's stem downsamples by 4 on 224x224), bounds [2, 32] (no upsampling past the
#: stem's resolution; at least one pixel at the end); 8x8 digits: no stem downsampling,
#: bounds [1, 16].
GEOMETRY = {"mnist_subset": (2, (2, 32)), "digits": (1, (1, 16))}


def make_network(params: DynamicParams, dataset: str) -> StriderNet:
    stem_stride, bounds = GEOMETRY[dataset]
    options = UPSAMPLE_OPTIONS if params.upsampling else STRIDE_OPTIONS
    return StriderNet(widths=params.widths, stem_stride=stem_stride, options=options, bounds=bounds)


def _trained(ctx, params, dataset, train, kind: str) -> StriderNet:
    fit = fit_random_configurations if kind == "random" else fit_static
    return ctx.trained(
        f"{dataset}-{kind}",
        ctx.init_model(lambda: make_network(params, dataset), f"init_{dataset}"),
        lambda net: fit(
            net,
            train,
            epochs=params.epochs,
            lr=params.lr,
            batch_size=params.batch_size,
            seed=ctx.streams.seed(f"{kind}_{dataset}"),
            progress=ctx.progress,
        ),  # fmt: skip
    ).eval()


def _option_counts(configurations: np.ndarray, n_layers: int, n_options: int) -> tuple:
    return tuple(
        tuple(int(c) for c in np.bincount(configurations[:, k], minlength=n_options))
        for k in range(n_layers)
    )


def _examples(scores: ConfigurationScores, test, dataset: str, default: int, n: int, describe):
    oracle = scores.oracle_choice()
    rows = np.arange(len(scores.labels))
    fixed = np.flatnonzero(~scores.correct[:, default] & scores.correct[rows, oracle])[:n]
    out = []
    for i in fixed:
        img = np.clip(np.round(255 * test.X[i, 0]), 0, 255).astype(np.uint8)
        out.append(
            FixedExample(
                dataset=dataset,
                label=int(scores.labels[i]),
                static_prediction=int(scores.prediction[i, default]),
                oracle_prediction=int(scores.prediction[i, oracle[i]]),
                configuration=describe(scores.configurations[oracle[i]]),
                pixels=img.tobytes().hex(),
                shape=(int(img.shape[0]), int(img.shape[1])),
            )
        )
    return tuple(out)


class _Costs:
    """Multiply-accumulates per image of each way of predicting, on a slice of the test set."""

    def __init__(self, net: StriderNet, selectors: SelectorSet, X: np.ndarray):
        x = torch.as_tensor(X[:32]).to(next(net.parameters()).device)
        n, configs = len(x), net.space.configurations
        self.static = count_macs([net], lambda: net(x)) / n
        self.loop = count_macs([net], lambda: [net(x, c) for c in configs]) / n
        self.shared = count_macs([net], lambda: net.forward_all(x)) / n
        self.routed = count_macs([net, selectors], lambda: route(net, selectors, X[:32])) / n

    def of(self, name: str) -> float:
        return self.routed if name == "learned" else self.shared


def _selections(scores, chosen_learned, costs, dataset, space) -> tuple[SelectionPoint, ...]:
    sel: dict[str, Selection] = {
        "oracle": scores.oracle(),
        "max_confidence": scores.max_confidence(),
        "min_entropy": scores.min_entropy(),
        "learned": learned_selection(scores, chosen_learned),
        "worst": scores.worst(),
    }
    configs = np.asarray(scores.configurations)
    return tuple(
        SelectionPoint(
            dataset=dataset,
            name=name,
            accuracy=s.accuracy,
            oracle_agreement=s.oracle_agreement,
            macs_per_image=costs.of(name),
            option_counts=_option_counts(configs[s.chosen], space.n_layers, len(space.options)),
        )
        for name, s in sel.items()
    )


def _dataset_metrics(params: DynamicParams, ctx, dataset: str) -> DatasetMetrics:
    p = params
    train, test = ctx.image_split(dataset, test_fraction=p.test_fraction, n_samples=p.n_samples)
    static = _trained(ctx, p, dataset, train, "static")
    net = _trained(ctx, p, dataset, train, "random")
    space = net.space
    scores = score_configurations(net, test.X, test.y, progress=ctx.progress)
    static_scores = score_configurations(static, test.X, test.y, progress=ctx.progress)
    default = scores.column(space.default)
    truth = train.subset(
        np.sort(ctx.streams.numpy(f"truth_{dataset}").permutation(len(train))[: p.truth_images])
    )
    selectors = ctx.trained(
        f"{dataset}-selectors",
        ctx.init_model(lambda: SelectorSet(net, p.selector_hidden), f"selectors_init_{dataset}"),
        lambda sel: train_selectors(
            net,
            sel,
            truth.X,
            selector_targets(score_configurations(net, truth.X, truth.y, progress=ctx.progress)),
            epochs=p.selector_epochs,
            lr=p.selector_lr,
            seed=ctx.streams.seed(f"selectors_{dataset}"),
            progress=ctx.progress,
        ),  # fmt: skip
    ).eval()
    _, chosen = route(net, selectors, test.X)
    costs = _Costs(net, selectors, test.X)
    by_layers = [space.restricted(k).configurations for k in range(1, space.n_layers + 1)]
    oracle_columns = scores.oracle_choice()
    return DatasetMetrics(
        dataset=dataset,
        static_accuracy=static_scores.accuracy(default),
        static_oracle=static_scores.oracle().accuracy,
        default_accuracy=scores.accuracy(default),
        mean_configuration_accuracy=float(scores.correct.mean()),
        oracle_by_layers=tuple(scores.subset(c).oracle().accuracy for c in by_layers),
        configurations_by_layers=tuple(len(c) for c in by_layers),
        selections=_selections(scores, chosen, costs, dataset, space),
        static_macs_per_image=costs.static,
        oracle_loop_macs_per_image=costs.loop,
        selector_parameters=sum(q.numel() for q in selectors.parameters()),
        backbone_parameters=sum(q.numel() for q in net.parameters()),
        oracle_configuration_counts=tuple(
            int(c) for c in np.bincount(oracle_columns, minlength=len(space))
        ),
        examples=_examples(scores, test, dataset, default, p.examples, space.describe),
    )


def run(params: DynamicParams, ctx) -> DynamicMetrics:
    """One seed (``ctx``: :class:`mlcore.runner.RunContext`)."""
    return DynamicMetrics(
        staged_metrics(
            ctx, params.datasets, DatasetMetrics, lambda d: _dataset_metrics(params, ctx, d)
        )
    )
