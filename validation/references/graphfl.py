"""GraphFL: federated semi-supervised node classification (arXiv:2012.04187).

The paper's tables are not available to us (``shared/papers/2012.04187.md``): the references are
its abstract's claims. The checks read our reduced-scale reproduction (Cora and CiteSeer, GCN,
GraphFL's reference client setting and METIS subgraph clients; ``mlcore.experiments.graphfl``)
from the committed record::

    python -m mlcore graphfl --seeds 0 1 2 3 4 --threads 1 --quiet \
        --record validation/runs/graphfl.json

Accuracy is the test accuracy at the round of best validation accuracy. Every method gets the
client step size with its best validation accuracy from the grid (0.01, the reference code's,
0.1, 0.5); the first check also compares at the reference code's own step size. Over seeds as in
:mod:`validation.references._records`: a claim holds in a (dataset, setting) when the mean of the
paired per-seed difference exceeds its spread; the measured distance is the largest shortfall.
"""

from __future__ import annotations

import numpy as np

from validation.references._records import _ms, _note, _pp, _record, _shortfall
from validation.registry import Outcome, Plot, Reference, check

CITATION = (
    "B. Wang, A. Li, M. Pang, H. Li, Y. Chen, GraphFL: A Federated Learning Framework for "
    "Semi-Supervised Node Classification on Graphs, ICDM 2022 (arXiv:2012.04187)"
)

BEATS_FEDAVG = Reference(
    paper="2012.04187",
    name="graphfl-beats-fedavg-non-iid",
    citation=CITATION,
    location="Abstract (experiments on graph datasets; non-IID clients)",
    obtained="claim in the text",
    description="With non-IID client data, GraphFL's meta-learning method clearly outperforms "
    "the compared federated learning baseline (FedAvg).",
)
SELFTRAIN_HELPS = Reference(
    paper="2012.04187",
    name="self-training-improves-graphfl",
    citation=CITATION,
    location="Abstract (self-training leverages unlabeled graph data)",
    obtained="claim in the text",
    description="GraphFL with self-training obtains better performance than GraphFL alone.",
)
NEW_DOMAIN = Reference(
    paper="2012.04187",
    name="meta-learning-handles-new-label-domains",
    citation=CITATION,
    location="Abstract (ICDM version: tasks with new label domains)",
    obtained="claim in the text",
    description="On few-shot tasks over label domains never seen in training, GraphFL's "
    "federated meta-learning beats FedAvg training followed by the same fine-tuning.",
)


def _accuracy(rec, dataset, setting, method, variant="selected") -> np.ndarray:
    """Per-seed test accuracy (pp) at the best validation round of one table run."""
    return _pp([m.run(dataset, setting, method, variant).test_at_best_val for m in rec.metrics])


def _at_lr(rec, dataset, setting, method, lr) -> np.ndarray:
    return _pp([m.grid_run(dataset, setting, method, lr).test_at_best_val for m in rec.metrics])


def _cells(rec) -> list[tuple[str, str]]:
    return [(d, s) for d in rec.params.datasets for s in rec.params.settings]


def _lead_outcome(rec, leads: dict, ours: dict, base: dict, ylabel: str, extra: str = ""):
    """Outcome of per-cell paired leads: the largest shortfall, a plot of ours vs the baseline
    (mean over seeds, one point per cell) and every lead in the note."""
    keys = list(leads)
    return Outcome(
        measured=max(_shortfall(leads[k]) for k in keys),
        plot=Plot(
            x=np.arange(len(keys)),
            ours=np.array([np.mean(ours[k]) for k in keys]),
            reference=np.array([np.mean(base[k]) for k in keys]),
            xlabel="; ".join(f"{i} {' '.join(k)}" for i, k in enumerate(keys)),
            ylabel=ylabel,
        ),
        note=_note(rec)
        + extra
        + "; lead per case (pp): "
        + ", ".join(f"{' '.join(k)} {_ms(leads[k])}" for k in keys),
    )


@check(
    BEATS_FEDAVG,
    metric="largest shortfall max(0, std - mean) over (dataset, client setting) of the per-seed "
    "lead acc_GraphFL - acc_FedAvg in pp, each at its step size selected on validation nodes",
    tolerance=0.0,
    rationale="'clearly outperforms' read as: the mean lead exceeds its seed spread in every "
    "case; the baseline gets the same step-size search as GraphFL",
    discrepancy="With each method at the client step size its validation accuracy picks, FedAvg "
    "beats GraphFL in all four cases, by 1.9 to 4.8 pp over 5 seeds (Cora: reference setting "
    "-2.3 +- 1.1, METIS subgraphs -3.5 +- 1.7; CiteSeer: -1.9 +- 1.3, -4.8 +- 1.7). GraphFL's "
    "lead holds at the reference code's step size 0.01 (next check), where FedAvg's plain SGD "
    "steps barely move the weights and GraphFL's server sign step (0.02 per weight per round) "
    "does the learning. The paper's FedAvg settings are not available to us.",
)
def graphfl_beats_fedavg_at_selected_step_sizes():
    rec = _record("graphfl")
    cells = _cells(rec)
    ours = {c: _accuracy(rec, *c, "graphfl") for c in cells}
    base = {c: _accuracy(rec, *c, "fedavg") for c in cells}
    leads = {c: ours[c] - base[c] for c in cells}
    return _lead_outcome(rec, leads, ours, base, "test accuracy (%): GraphFL vs FedAvg (reference)")


@check(
    BEATS_FEDAVG,
    metric="largest shortfall over datasets of the per-seed lead acc_GraphFL - acc_FedAvg in "
    "pp, GraphFL's reference setting, both at the reference code's client step size 0.01",
    tolerance=0.0,
    name="graphfl_beats_fedavg_at_the_reference_step_size",
    rationale="the comparison as the reference code's defaults set it up (its FedAvg is not "
    "public: ours takes the same client steps and step size)",
)
def graphfl_beats_fedavg_at_the_reference_step_size():
    rec = _record("graphfl")
    lr = 0.01
    if lr not in rec.params.lr_grid or "reference" not in rec.params.settings:
        raise ValueError("the record lacks the reference setting at step size 0.01")
    cells = [(d, "reference") for d in rec.params.datasets]
    ours = {c: _at_lr(rec, *c, "graphfl", lr) for c in cells}
    base = {c: _at_lr(rec, *c, "fedavg", lr) for c in cells}
    leads = {c: ours[c] - base[c] for c in cells}
    return _lead_outcome(
        rec,
        leads,
        ours,
        base,
        "test accuracy (%) at step 0.01: GraphFL vs FedAvg (reference)",
        extra="; GraphFL's server takes a sign step of 0.02 per weight each round, FedAvg's "
        "clients plain SGD steps of 0.01 x gradient",
    )


@check(
    SELFTRAIN_HELPS,
    metric="largest shortfall over (dataset, client setting) of the per-seed gain "
    "acc_GraphFL+self-training - acc_GraphFL in pp (both at GraphFL's selected step size)",
    tolerance=0.0,
    discrepancy="Self-training helps GraphFL on CiteSeer (reference setting +0.5 +- 0.4 pp, "
    "METIS +1.6 +- 0.6) but not on Cora, where the change is within the seed spread "
    "(-0.2 +- 1.4, +1.0 +- 2.0), although Cora's pseudo-labels are the more precise (82 % and "
    "80 % right, against 68 % and 64 % on CiteSeer): 20 pseudo-labels per class per client add "
    "little to a GCN that already propagates over the whole graph (or its community). Ours "
    "departs from the reference code in two places (module mlcore.graphfl.selftrain): a fresh "
    "pseudo-labeller per client, and true labels on the query nodes.",
)
def self_training_improves_graphfl():
    rec = _record("graphfl")
    cells = _cells(rec)
    ours = {c: _accuracy(rec, *c, "graphfl", "selftrain") for c in cells}
    base = {c: _accuracy(rec, *c, "graphfl") for c in cells}
    leads = {c: ours[c] - base[c] for c in cells}
    precision = [
        f"{d} {s} {_ms(_pp([m.run(d, s, 'graphfl', 'selftrain').pseudo_precision for m in rec.metrics]))}"  # noqa: E501
        for d, s in cells
    ]
    return _lead_outcome(
        rec,
        leads,
        ours,
        base,
        "test accuracy (%): GraphFL + self-training vs GraphFL (reference)",
        extra="; pseudo-label precision (%): " + ", ".join(precision),
    )


@check(
    NEW_DOMAIN,
    metric="largest shortfall over datasets of the per-seed lead of GraphFL meta-learning over "
    "FedAvg pre-training, query accuracy in pp after the same fine-tuning on held-out classes",
    tolerance=0.0,
    discrepancy="Meta-learning beats FedAvg pre-training on Cora (+10.9 +- 2.4 pp) but not on "
    "CiteSeer (-0.6 +- 1.9), and on neither graph does it beat fine-tuning from the random "
    "initialisation (Cora 75.0 +- 2.1 % against 74.7 +- 1.6 %; CiteSeer 57.2 +- 1.2 % against "
    "56.3 +- 0.8 %). With the reference code's meta step (one fresh-Adam step of 0.001 per "
    "client, ~0.001 x sign per weight, 20 rounds) the meta-learned weights stay within 0.02 of "
    "their initialisation. The lead on Cora is FedAvg's loss: pre-training on the other "
    "classes transfers badly (63.9 +- 2.3 %, against 75.0 % from random weights).",
)
def meta_learning_beats_fedavg_on_new_label_domains():
    rec = _record("graphfl")
    if not rec.params.newdomain:
        raise ValueError("the record has no new-label-domain runs")
    cells = [(d,) for d in rec.params.datasets]

    def final(dataset, method):
        return _pp([m.newdomain_score(dataset, method).final for m in rec.metrics])

    ours = {c: final(*c, "graphfl_maml") for c in cells}
    base = {c: final(*c, "fedavg_finetune") for c in cells}
    leads = {c: ours[c] - base[c] for c in cells}
    others = ", ".join(
        f"{d} {method} {_ms(final(d, method))} %"
        for (d,) in cells
        for method in ("random_finetune", "prototypical")
    )
    p = rec.params
    return _lead_outcome(
        rec,
        leads,
        ours,
        base,
        f"query accuracy (%), {p.n_way}-way {p.k_shot}-shot: meta-learned vs FedAvg (reference)",
        extra=f"; {p.test_tasks} test tasks on classes {list(range(p.n_way))}; also " + others,
    )
