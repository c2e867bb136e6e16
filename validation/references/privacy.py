"""Gradient inversion and Soteria (arXiv:2012.06043), with DLG (arXiv:1906.08935) and the
adaptive attack of Balunovic et al. (arXiv:2111.04706).

The paper's tables are not available to us (``shared/papers/2012.06043.md``); the references are
its abstract's claims and the figure in its reference repository. The checks read our
reduced-scale reproduction (single digits of the 5000-digit MNIST subset; DLG on DLG's sigmoid
LeNet, GS on a width-16 ConvNet; ``mlcore.experiments.soteria``) from the committed record::

    python -m mlcore soteria --seeds 0 1 2 --threads 1 --quiet \
        --record validation/runs/soteria.json

Over seeds as in :mod:`validation.references._records`. Thresholds marked "ours" are ours, not
the paper's.
"""

from __future__ import annotations

import numpy as np

from mlcore.experiments.soteria.report import REFERENCE_FIGURE, chosen_rate
from validation.references._records import _ms, _note, _record, _shortfall
from validation.registry import Outcome, Plot, Reference, check

SOTERIA = (
    "J. Sun, A. Li, B. Wang, H. Yang, H. Li, Y. Chen, Soteria: Provable Defense against "
    "Privacy Leakage in Federated Learning from Representation Perspective, CVPR 2021"
)
SOTERIA_REPO = "github.com/jeremy313/Soteria @ 23cf90e, GS_defense.png"

DLG_RECOVERS = Reference(
    paper="1906.08935",
    name="dlg-recovers-single-images",
    citation="L. Zhu, Z. Liu, S. Han, Deep Leakage from Gradients, NeurIPS 2019",
    location="Sec. 4 (single-image recovery on MNIST, LeNet with sigmoid)",
    obtained="claim in the text",
    description="Without a defense, matching the shared gradient recovers the training image "
    "(threshold ours: median pixel MSE below 1e-3 over at least 20 digits).",
)
RISES_WITH_RATE = Reference(
    paper="2012.06043",
    name="gs-mse-rises-with-pruning-rate",
    citation=SOTERIA,
    location=SOTERIA_REPO + " (MSE 0.10, 0.75, 0.97, 1.19, 1.49 at 40-80 %)",
    obtained="digitized point",
    description="Under Soteria, the Inverting Gradients reconstruction error rises with the "
    "pruning rate over 40-80 %.",
)
BEATS_PRUNING = Reference(
    paper="2012.06043",
    name="soteria-beats-gradient-pruning",
    citation=SOTERIA,
    location=SOTERIA_REPO + " (0.97 vs 0.36 at 60 %, 1.19 vs 0.41 at 70 %, 1.49 vs 0.71 at 80 %)",
    obtained="digitized point",
    description="At equal pruning rate from 60 % up, Soteria's GS reconstruction error exceeds "
    "that of gradient magnitude pruning.",
)
TENFOLD = Reference(
    paper="2012.06043",
    name="mse-up-without-accuracy-cost",
    citation=SOTERIA,
    location="Abstract ('MSE ... increased by as much as 160x', 'without sacrificing accuracy')",
    obtained="claim in the text",
    description="At a pruning rate that costs little accuracy, Soteria raises the "
    "reconstruction error of DLG and GS many times (thresholds ours: at most 1 pp of FedAvg "
    "accuracy in the mean over seeds, at least 10 times the undefended error on every seed).",
)
ADAPTIVE = Reference(
    paper="2111.04706",
    name="soteria-broken-by-adaptive-attack",
    citation="M. Balunovic, D. I. Dimitrov, R. Staab, M. Vechev, Bayesian Framework for "
    "Gradient Leakage, ICLR 2022",
    location="Fig. 2 and github.com/eth-sri/bayes-framework-leakage (defense_attacks/soteria)",
    obtained="claim in the text",
    description="Leaving the defended layer out of the matching loss breaks Soteria "
    "(threshold ours: error at most twice the undefended one).",
)
CERTIFIED = Reference(
    paper="2012.06043",
    name="certified-robustness",
    citation=SOTERIA,
    location="Abstract ('certified robustness guarantee'); the statement is not available, "
    "the bound checked is ours (mlcore.privacy.certified)",
    obtained="claim in the text",
    description="No reconstruction from Soteria's share lies closer to the input than the "
    "certified distance ||r - r'|| / L (ours; it covers exact gradient matches).",
)


# Documented disagreements: the numbers quoted come from the committed 3-seed record.
DISCREPANCY_RISES = (
    "Reproduced only up to 60 %: Soteria's GS error rises from 40 to 60 % (normalized MSE 0.19 "
    "± 0.07, 0.51 ± 0.49, 2.93 ± 0.42 over seeds 0-2; the 50 -> 60 % step is +2.42 ± 0.77) and "
    "then stays flat (2.71 ± 0.65 at 70 %, 2.57 ± 0.70 at 80 %). At 60 % the reconstruction is "
    "already unrelated to the digit (pixel MSE about 0.26, that of a noise image; see the "
    "reconstruction figure), so a higher rate cannot raise it further; the reference's CIFAR "
    "car stays below that level (1.49 at 80 %). At 40 % Soteria prunes mostly dead ReLU "
    "features (r = 0, whose weight-gradient columns are zero anyway): at 40 % on every seed, "
    "and at 50 % on two, the GS reconstruction is identical to the undefended one (the "
    "reference figure's 0.10 at 40 % is also close to its pruning baseline's 0.09)."
)
DISCREPANCY_PRUNING = (
    "Reproduced at 60 % only: Soteria's GS error exceeds gradient pruning's by 1.23 ± 0.60 "
    "(normalized MSE) at 60 %, as in the reference figure, but by 0.30 ± 0.93 at 70 % and "
    "-0.13 ± 0.62 at 80 %. On MNIST digits with a width-16 ConvNet both defenses reach the "
    "level of an unrelated image from 70 % on (Soteria 2.71 and 2.57, pruning 2.41 and 2.69), "
    "so neither can exceed the other; on the reference's CIFAR car and width-64 network "
    "pruning stays far below (0.41, 0.71)."
)
DISCREPANCY_TENFOLD_GS = (
    "Reproduced on two seeds of three: at 80 % (mean FedAvg accuracy cost 0.90 ± 0.95 pp of "
    "96.8 %) Soteria raises GS's pixel MSE 23.3 and 15.4 times, but 8.2 times on the third "
    "seed, whose undefended reconstruction is the best (pixel MSE 0.010, where the others "
    "have 0.020 and 0.022): the ratio's denominator, not the defense, varies."
)


def _rates(rec) -> list[float]:
    return [float(r) for r in rec.params.pruning_rates]


def _gs_mse(m, defense: str, rate: float | None = None, attack: str = "gs") -> float:
    return m.point(attack, defense, rate).median_mse_normalized


@check(DLG_RECOVERS, metric="median pixel MSE of undefended DLG over every digit and seed",
       tolerance=1e-3)  # fmt: skip
def dlg_recovers_single_digits():
    rec = _record("soteria")
    mse = np.array([r.mse for m in rec.metrics for r in m.point("dlg", "none").images])
    if mse.size < 20:
        raise ValueError(f"the record holds {mse.size} undefended DLG digits; the claim needs 20")
    labels = sum(r.label_correct for m in rec.metrics for r in m.point("dlg", "none").images)
    return Outcome(
        measured=float(np.median(mse)),
        plot=Plot(
            x=np.arange(mse.size),
            ours=np.sort(mse),
            reference=np.full(mse.size, 1e-3),
            xlabel="digit (sorted)",
            ylabel="pixel MSE (threshold 1e-3)",
        ),  # fmt: skip
        note=_note(rec) + f"; {mse.size} digits, max MSE {mse.max():.2e}, iDLG labels "
        f"{labels}/{mse.size} correct",
    )


def _curve_plot(rec, attack: str, defense: str, reference, ylabel: str) -> Plot:
    rates = _rates(rec)
    ours = [np.mean([_gs_mse(m, defense, r, attack) for m in rec.metrics]) for r in rates]
    return Plot(x=np.array(rates), ours=np.array(ours), reference=np.array(reference),
                xlabel="pruning rate (%)", ylabel=ylabel)  # fmt: skip


@check(RISES_WITH_RATE, metric="rate steps (40-80 %) whose per-seed rise of Soteria's GS MSE "
       "does not exceed its spread", tolerance=0, discrepancy=DISCREPANCY_RISES)  # fmt: skip
def soteria_mse_rises_with_rate():
    rec = _record("soteria")
    rates = [r for r in _rates(rec) if 40 <= r <= 80]
    rises = [
        [_gs_mse(m, "soteria", b) - _gs_mse(m, "soteria", a) for m in rec.metrics]
        for a, b in zip(rates[:-1], rates[1:])
    ]
    return Outcome(
        measured=float(sum(_shortfall(d) > 0 for d in rises)),
        plot=_curve_plot(rec, "gs", "soteria", [1e-9 + x for x in _repo("soteria", rates)],
                         "GS normalized MSE under Soteria (ours: MNIST; ref: CIFAR car)"),
        note=_note(rec) + "; rise per step " + ", ".join(_ms(d) for d in rises),
    )  # fmt: skip


def _repo(defense: str, rates) -> list[float]:
    table = dict(zip(REFERENCE_FIGURE["rates"], REFERENCE_FIGURE[defense]))
    return [table.get(r, np.nan) for r in rates]


@check(BEATS_PRUNING, metric="rates >= 60 % where Soteria's per-seed GS MSE excess over "
       "pruning does not exceed its spread", tolerance=0,
       discrepancy=DISCREPANCY_PRUNING)  # fmt: skip
def soteria_beats_pruning_from_60():
    rec = _record("soteria")
    rates = [r for r in _rates(rec) if r >= 60]
    excess = [
        [_gs_mse(m, "soteria", r) - _gs_mse(m, "prune", r) for m in rec.metrics] for r in rates
    ]
    return Outcome(
        measured=float(sum(_shortfall(d) > 0 for d in excess)),
        plot=_curve_plot(rec, "gs", "prune", _repo("prune", _rates(rec)),
                         "GS normalized MSE under pruning (ours vs ref. repo)"),
        note=_note(rec) + "; Soteria - pruning at " + ", ".join(
            f"{r:g} %: {_ms(d)}" for r, d in zip(rates, excess)),
    )  # fmt: skip


def _tenfold(attack: str) -> Outcome:
    rec = _record("soteria")
    network = "dlg_lenet" if attack == "dlg" else "convnet"
    per_seed = [m.chosen_rate_dlg if attack == "dlg" else m.chosen_rate_gs for m in rec.metrics]
    rate = chosen_rate(rec, network)
    if rate is None:
        raise ValueError(f"no pruning rate keeps the {network}'s mean accuracy within budget")
    ratios = np.array(
        [m.point(attack, "soteria", rate).median_mse / m.point(attack, "none").median_mse
         for m in rec.metrics]
    )  # fmt: skip
    cost = _ms([100 * (m.accuracy_of(network, "none") - m.accuracy_of(network, "soteria", rate))
                for m in rec.metrics])  # fmt: skip
    return Outcome(
        measured=float(max(0.0, 10.0 - ratios.min())),
        plot=Plot(x=np.array(rec.seeds, float), ours=ratios, reference=np.full(len(ratios), 10.0),
                  xlabel="seed", ylabel=f"{attack.upper()} MSE under Soteria / undefended"),
        note=_note(rec) + f"; rate {rate:g} % (largest whose mean FedAvg accuracy cost is within "
        f"{rec.params.accuracy_budget} pp; cost {cost} pp; chosen per seed alone: {per_seed}); "
        f"ratios {np.round(ratios, 1).tolist()}",
    )  # fmt: skip


@check(TENFOLD, metric="max(0, 10 - smallest per-seed ratio of DLG pixel MSE under Soteria at "
       "the chosen rate to the undefended one)", tolerance=0)  # fmt: skip
def soteria_tenfold_dlg():
    return _tenfold("dlg")


@check(TENFOLD, metric="max(0, 10 - smallest per-seed ratio of GS pixel MSE under Soteria at "
       "the chosen rate to the undefended one)", tolerance=0,
       discrepancy=DISCREPANCY_TENFOLD_GS)  # fmt: skip
def soteria_tenfold_gs():
    return _tenfold("gs")


@check(ADAPTIVE, metric="median over seeds of adaptive-GS MSE under Soteria at the chosen rate "
       "over undefended GS MSE", tolerance=2.0)  # fmt: skip
def adaptive_attack_against_soteria():
    rec = _record("soteria")
    ratios = []
    rate = chosen_rate(rec, "convnet")
    rate = max(_rates(rec)) if rate is None else rate
    for m in rec.metrics:
        adaptive = m.point("gs_adaptive", "soteria", rate).median_mse
        ratios.append(adaptive / m.point("gs", "none").median_mse)
    curve = [np.mean([_gs_mse(m, "soteria", r, "gs_adaptive") for m in rec.metrics])
             for r in _rates(rec)]  # fmt: skip
    plain = [np.mean([_gs_mse(m, "soteria", r) for m in rec.metrics]) for r in _rates(rec)]
    measured = float(np.median(ratios))
    verdict = "Soteria is broken by it" if measured <= 2 else "Soteria holds against it here"
    return Outcome(
        measured=measured,
        plot=Plot(x=np.array(_rates(rec)), ours=np.array(curve), reference=np.array(plain),
                  xlabel="pruning rate (%)",
                  ylabel="GS normalized MSE: adaptive (ours) vs plain GS (reference)"),
        note=_note(rec) + f"; at {rate:g} %, per-seed ratios {np.round(ratios, 2).tolist()}: "
        f"{verdict}",
    )  # fmt: skip


@check(CERTIFIED, metric="rates at which the DLG reconstruction under Soteria came closer to "
       "the input than the certified distance", tolerance=0)  # fmt: skip
def certified_distance_holds():
    rec = _record("soteria")
    closer = sum(b.attack_distance < b.lower_bound for m in rec.metrics for b in m.bounds)
    rates = _rates(rec)
    bound = [np.mean([m.bounds[i].lower_bound for m in rec.metrics]) for i in range(len(rates))]
    reached = [np.mean([m.bounds[i].attack_distance for m in rec.metrics])
               for i in range(len(rates))]  # fmt: skip
    return Outcome(
        measured=float(closer),
        plot=Plot(x=np.array(rates), ours=np.array(reached), reference=np.array(bound),
                  xlabel="pruning rate (%)",
                  ylabel="pixel L2 distance: DLG reached (ours) vs certified (bound)"),
        note=_note(rec) + "; certified distance is ours; it binds exact gradient matches only",
    )  # fmt: skip
