"""Command line: ``python -m mlcore <result> [options]``.

Results
-------
bsq       BSQ alpha sweep vs uniform quantization, LeNet-5 on the MNIST subset.
boundary  Boundary-based retraining and the nonlinear mapping vs attacks.
demo      Figures from the stored run records (fast).

Each writes a JSON run record (``--record``, default ``validation/runs/<result>.json``) and PNG
figures into ``--out``. Examples::

    python -m mlcore bsq --alphas 0.05 0.1 0.15 --epochs 20 --seed 0
    python -m mlcore boundary --bits 2 --eps 0.1 --seed 0
"""

from __future__ import annotations

import argparse
import shlex
import sys

import torch


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mlcore",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="result", required=True)

    def common(p, result):
        p.add_argument("--seed", type=int, default=0, help="seed of split, init and training")
        p.add_argument("--out", default="results/mlcore", help="folder for figures")
        p.add_argument(
            "--record",
            default=None,
            help=f"run record path (default validation/runs/{result}.json; '-' = none)",
        )
        p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
        p.add_argument("--quiet", action="store_true", help="no progress bars")
        p.add_argument("--n-samples", type=int, default=None, help="use a subset of the digits")

    p = sub.add_parser("bsq", help="BSQ alpha sweep (arXiv:2102.10462)")
    common(p, "bsq")
    p.add_argument("--alphas", type=float, nargs="+", default=None, help="regularization strengths")
    p.add_argument("--alpha", type=float, default=None, help="a single alpha")
    p.add_argument("--uniform-bits", type=int, nargs="+", default=None)
    p.add_argument("--bits", type=int, default=None, help="starting precision (1..8)")
    p.add_argument("--epochs", type=int, default=None, help="BSQ training epochs")
    p.add_argument("--finetune-epochs", type=int, default=None)
    p.add_argument("--requant-interval", type=int, default=None)
    p.add_argument("--finetune-lr", type=float, default=None, help="BSQ fine-tuning Adam lr")
    p.add_argument("--qat-lr", type=float, default=None, help="uniform / scheme QAT Adam lr")
    p.add_argument("--pretrain-epochs", type=int, default=None)

    p = sub.add_parser("boundary", help="boundary-based retraining (arXiv:2012.14965)")
    common(p, "boundary")
    p.add_argument("--bits", type=int, default=None, help="uniform weight precision (1..8)")
    p.add_argument("--eps", type=float, default=None, help="L-infinity budget, [0, 1] pixels")
    p.add_argument("--pretrain-epochs", type=int, default=None)
    p.add_argument("--adversarial-epochs", type=int, default=None)
    p.add_argument("--epochs-per-round", type=int, default=None)
    p.add_argument("--n-test-attack", type=int, default=None)

    p = sub.add_parser("demo", help="figures from stored run records")
    p.add_argument("--out", default="results/demo")
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    if args.result == "demo":
        from .demo import demo

        demo(args.out)
        return
    torch.set_num_threads(args.threads)
    from .records import default_runs_dir

    record = (
        None if args.record == "-" else args.record or default_runs_dir() / f"{args.result}.json"
    )
    options = {
        k: v
        for k, v in vars(args).items()
        if v is not None and k not in ("result", "seed", "out", "record", "threads", "quiet")
    }
    renames = {"bits": "n_bits" if args.result == "bsq" else "bits"}
    options = {renames.get(k, k): v for k, v in options.items()}
    if args.result == "bsq":
        from .experiments import run_bsq as run

        if "alpha" in options:
            options["alphas"] = [options.pop("alpha")]
    else:
        from .experiments import run_boundary as run
    command = " ".join(shlex.quote(a) for a in ["python", "-m", "mlcore", *argv])
    numbers = run(
        seed=args.seed,
        out_dir=args.out,
        record=record,
        progress=not args.quiet,
        command=command,
        **options,
    )
    print(f"record: {record}; figures in {args.out}", file=sys.stderr)
    _summary(args.result, numbers)


def _summary(result: str, numbers: dict) -> None:
    if result == "bsq":
        print(f"full precision: {numbers['accuracy_full_precision']:.4f}")
        for b in numbers["bsq"]:
            print(
                f"BSQ alpha={b['alpha']:<6g} bits={b['average_bits']:.3f} "
                f"comp={b['compression']:.1f}x acc={b['accuracy']:.4f} {b['layers']}"
            )
        for u in numbers["uniform"]:
            print(
                f"uniform {u['bits']} bit: PTQ {u['accuracy_post_training']:.4f} "
                f"QAT {u['accuracy']:.4f}"
            )
    else:
        for name, row in sorted(
            numbers["methods"].items(), key=lambda kv: -kv[1]["total_loss_pgd"]
        ):
            s = row["scores"]
            print(
                f"{name:42s} "
                + " ".join(f"{k}={v:.3f}" for k, v in s.items())
                + f"  QL={row['quantization_loss']:.3f} total(PGD)={row['total_loss_pgd']:.3f}"
            )


if __name__ == "__main__":
    main()
