"""Table, figure and headline text of a transfer record: targeted success on the black box per
environment, method and budget (mean ± std over seeds), success against correspondence strength
(Spearman rank correlation) and the query attacks with and without the transfer prior."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from ...records import Spread
from .._common import percent, save_figure
from .records import TRANSFER_METHODS, TransferRecord

__all__ = ["plot", "summary", "success", "strength_correlation", "by_rank", "METHOD_LABELS"]

METHOD_LABELS = {
    "proxy_momentum": "MI-FGSM-DI to proxies",
    "proxy_feature": "feature attack to proxies",
    "random_proxy_momentum": "MI-FGSM-DI to random proxies",
    "untargeted": "untargeted PGD",
    "random_noise": "random +-eps noise",
}


def success(rec: TransferRecord, env: str, method: str, eps: float) -> Spread:
    """Targeted success (mean over targets) over seeds."""
    values = []
    for m in rec.metrics:
        for p in m.environment(env).transfer:
            if (p.method, p.epsilon) == (method, eps):
                values.append(p.success)
    return Spread.of(values)


def base_rate(rec: TransferRecord, env: str) -> Spread:
    return Spread.of(m.environment(env).transfer[0].base_rate for m in rec.metrics)


def strength_correlation(rec: TransferRecord, env: str) -> tuple[float, int]:
    """Spearman rho between the proxies' correspondence strength and the proxy-guided success,
    over every (seed, target) pair of ``env``, and the number of pairs."""
    pairs = [(t.strength, t.success) for m in rec.metrics for t in m.environment(env).targets]
    if len(pairs) < 3:
        return float("nan"), len(pairs)
    rho = spearmanr([a for a, _ in pairs], [b for _, b in pairs]).statistic
    return float(rho), len(pairs)


def by_rank(rec: TransferRecord, env: str) -> str:
    """Proxy-guided success (middle budget) by the black box's clean rank of the target,
    pooled over seeds and targets (mean of the per-target rates that exist)."""
    rows = [t.success_by_rank for m in rec.metrics for t in m.environment(env).targets]
    parts = []
    for r in range(len(rows[0])):
        values = [row[r] for row in rows if not np.isnan(row[r])]
        parts.append(f"rank {r + 1} {100 * np.mean(values):.0f} %" if values else f"rank {r + 1} -")
    return ", ".join(parts)


def _query(rec: TransferRecord, env: str, attack: str, prior: bool, field: str) -> Spread:
    values = []
    for m in rec.metrics:
        for q in m.environment(env).queries:
            if (q.attack, q.prior) == (attack, prior):
                values.append(getattr(q, field))
    return Spread.of(values)


def summary(rec: TransferRecord) -> str:
    """Targeted success per environment, method and budget; strength correlation; queries."""
    p = rec.params
    lines = [f"Transfer across disjoint label spaces, seeds {list(rec.seeds)}; targeted success"]
    for env in p.environments:
        acc = [(m.environment(env).whitebox_accuracy, m.environment(env).blackbox_accuracy)
               for m in rec.metrics]  # fmt: skip
        lines.append(
            f"  {env}: white box {percent(Spread.of(a for a, _ in acc))}, black box "
            f"{percent(Spread.of(b for _, b in acc))}, target base rate "
            f"{percent(base_rate(rec, env))}"
        )
        for eps in p.epsilons:
            row = ", ".join(
                f"{METHOD_LABELS[k]} {percent(success(rec, env, k, eps))}" for k in TRANSFER_METHODS
            )
            lines.append(f"    eps {eps:g}: {row}")
        rho, n = strength_correlation(rec, env)
        lines.append(f"    Spearman(strength, success) = {rho:.2f} over {n} (seed, target) pairs")
        lines.append(
            "    success by the black box's clean rank of the target: " + by_rank(rec, env)
        )
        for attack in ("rgf", "square"):
            plain = _query(rec, env, attack, False, "success")
            prior = _query(rec, env, attack, True, "success")
            mq = _query(rec, env, attack, False, "median_queries")
            mqp = _query(rec, env, attack, True, "median_queries")
            lines.append(
                f"    {attack}: success {percent(plain)} -> {percent(prior)} with the prior; "
                f"median queries {mq.mean:.0f} -> {mqp.mean:.0f}"
            )
    return "\n".join(lines)


def plot(rec: TransferRecord, out: str | Path) -> list[Path]:
    """Per environment: targeted success against the budget for every method (mean ± std over
    seeds, base rate dotted), and the correspondence matrix of the first seed."""
    import matplotlib.pyplot as plt

    p = rec.params
    envs = p.environments
    fig, axes = plt.subplots(2, len(envs), figsize=(4.4 * len(envs), 7.5), squeeze=False)
    for j, env in enumerate(envs):
        ax = axes[0][j]
        for method in TRANSFER_METHODS:
            s = [success(rec, env, method, e) for e in p.epsilons]
            ax.errorbar(
                p.epsilons, [100 * v.mean for v in s], yerr=[100 * v.std for v in s],
                marker="o", capsize=2, label=METHOD_LABELS[method],
            )  # fmt: skip
        ax.axhline(100 * base_rate(rec, env).mean, color="k", ls=":", lw=0.8, label="base rate")
        ax.set_title(env, fontsize=9)
        ax.set_xlabel("linf budget")
        ax.set_ylabel("targeted success on the black box (%)")
        ax.set_ylim(0, 100)
        counts = np.array(rec.metrics[0].environment(env).correspondence, dtype=float)
        share = counts / counts.sum(1, keepdims=True)
        im = axes[1][j].imshow(share, cmap="viridis", vmin=0, vmax=1)
        for (a, b), v in np.ndenumerate(counts):
            axes[1][j].text(b, a, f"{v:.0f}", ha="center", va="center", fontsize=7, color="w")
        axes[1][j].set_xlabel("black-box prediction")
        axes[1][j].set_ylabel("white-box class")
        fig.colorbar(im, ax=axes[1][j], fraction=0.046, label="P(black-box label | class)")
    axes[0][0].legend(fontsize=6)
    fig.suptitle(f"targeted transfer across disjoint label spaces, seeds {list(rec.seeds)}")
    fig.tight_layout()
    return [save_figure(fig, Path(out) / "transfer.png")]
