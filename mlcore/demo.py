"""``demo(out_dir)``: mlcore's headline figures in a few seconds.

The figures are drawn from the stored run records of the reduced-scale reproductions
(``validation/runs/bsq.json``, ``validation/runs/boundary.json``; see
:mod:`mlcore.experiments`). Where a record is missing, a tiny BSQ run (600 digits, a few
epochs, about 20 s on one core) stands in for it so the demo always shows a real computation.
"""

from __future__ import annotations

from pathlib import Path

from .records import default_runs_dir, read_record

__all__ = ["demo"]


def demo(out_dir: str | Path, runs_dir: str | Path | None = None) -> list[Path]:
    """Write ``bsq_accuracy_vs_bits.png`` and (when recorded) ``boundary_losses.png`` into
    ``out_dir``; print the headline numbers. Returns the figure paths."""
    from .experiments import plot_boundary, plot_bsq, run_bsq
    from .experiments.boundary import METHODS

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    written = []
    path = runs / "bsq.json"
    if path.is_file():
        numbers = read_record(path, "bsq")["numbers"]
        source = f"record {path}"
    else:
        numbers = run_bsq(
            n_samples=600,
            pretrain_epochs=8,
            alphas=(0.0, 0.1, 0.2),
            uniform_bits=(1, 2, 4),
            epochs=4,
            requant_interval=2,
            finetune_epochs=2,
            progress=False,
        )
        source = "tiny live run (600 digits; no record found)"
    written.append(plot_bsq(numbers, out / "bsq_accuracy_vs_bits.png"))
    print(f"BSQ ({source}): full precision {100 * numbers['accuracy_full_precision']:.1f} %")
    for b in sorted(numbers["bsq"], key=lambda b: b["alpha"]):
        print(
            f"  alpha {b['alpha']:<5g} {b['average_bits']:.2f} bits "
            f"({b['compression']:.1f}x) -> {100 * b['accuracy']:.1f} %"
        )
    path = runs / "boundary.json"
    if path.is_file():
        numbers = read_record(path, "boundary")["numbers"]
        written.append(plot_boundary(numbers, out / "boundary_losses.png"))
        print(f"boundary retraining (record {path}): quantization + adversarial loss (PGD), pp")
        for name in METHODS:
            if name in numbers["methods"]:
                print(f"  {name:42s} {100 * numbers['methods'][name]['total_loss_pgd']:6.1f}")
    return written
