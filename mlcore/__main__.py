"""Command line: ``python -m mlcore list | demo | <result> [--<param> value ...] [options]``.

Every registered result (:mod:`mlcore.registry`) is a sub-command whose parameter flags, with
their units and allowed ranges, are generated from its parameters dataclass. Run options:

--seeds S [S ...]   root seeds (default 0 1 2); the record holds each seed and the mean and
                    spread of every metric
--device D          auto (CUDA when available), cpu, cuda or cuda:N
--threads N         torch CPU threads (default 1; the number is recorded: exact reproduction
                    holds for the same seeds, device and threads)
--out DIR           figures and resumable checkpoints (default results/mlcore/<result>)
--record PATH       run record (default <out>/record.json; '-' for none). Regenerating a
                    committed reference is explicit: --record validation/runs/<result>.json
--quiet             no progress output

Examples::

    python -m mlcore list
    python -m mlcore bsq --help
    python -m mlcore bsq --alphas 0.05 0.1 --seeds 0 --threads 2
    python -m mlcore boundary --seeds 0 1 2 --threads 1 --record validation/runs/boundary.json
"""

from __future__ import annotations

import argparse
import shlex
import sys

from .device import resolve_device
from .params import Instance, Interval, Options, SequenceOf, parameter_specs
from .records import user_runs_dir
from .registry import get, results

__all__ = ["main"]


def _item_type(constraint):
    if isinstance(constraint, Interval):
        return constraint.kind
    if isinstance(constraint, Options):
        return type(constraint.values[0])
    if isinstance(constraint, Instance) and constraint.kind in (int, float, str):
        return constraint.kind
    return str


def _add_param(p: argparse.ArgumentParser, spec) -> None:
    flag = "--" + spec.name.replace("_", "-")
    default = list(spec.default) if isinstance(spec.default, tuple) else spec.default
    text = f"{spec.help}; {spec.describe()}; default {default}".replace("%", "%%")
    kw: dict = {"dest": spec.name, "default": argparse.SUPPRESS, "help": text}
    constraint = spec.constraint
    if isinstance(constraint, SequenceOf):
        kw.update(nargs="+", type=_item_type(constraint.item), metavar="X")
    elif isinstance(constraint, Instance) and constraint.kind is bool:
        kw.update(action=argparse.BooleanOptionalAction)
    else:
        kind = _item_type(constraint)
        kw.update(type=kind, metavar=kind.__name__.upper())
        if spec.optional:
            kw["type"] = lambda s, kind=kind: None if s.lower() == "none" else kind(s)
    p.add_argument(flag, **kw)


def _run_options(p: argparse.ArgumentParser, name: str) -> None:
    g = p.add_argument_group("run options")
    g.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="root seeds")
    g.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    g.add_argument("--threads", type=int, default=1, help="torch CPU threads (recorded)")
    g.add_argument("--out", default=str(user_runs_dir(name)), help="figures and checkpoints")
    g.add_argument(
        "--record", default=None, help="record path (default <out>/record.json; '-' none)"
    )
    g.add_argument("--quiet", action="store_true", help="no progress output")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mlcore",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{list,demo,<result>}")
    sub.add_parser("list", help="the registered results")
    demo = sub.add_parser("demo", help="figures from the reference run records")
    demo.add_argument("--out", default="results/demo/mlcore")
    for result in results():
        p = sub.add_parser(result.name, help=result.description, description=result.description)
        params = p.add_argument_group("parameters (units and allowed ranges)")
        for spec in parameter_specs(result.params):
            _add_param(params, spec)
        _run_options(p, result.name)
    return parser


def _run(parser, args, argv) -> None:
    from pathlib import Path

    from .runner import run_result

    result = get(args.command)
    names = [s.name for s in parameter_specs(result.params)]
    given = {n: getattr(args, n) for n in names if hasattr(args, n)}
    try:
        params = result.params.from_dict(given)
    except ValueError as err:  # also ParameterTypeError
        parser.error(f"{args.command}: {err}")
    if args.threads < 1:
        parser.error(f"--threads must be an integer >= 1; got {args.threads}")
    if min(args.seeds) < 0 or len(set(args.seeds)) != len(args.seeds):
        parser.error(f"--seeds must be distinct integers >= 0; got {args.seeds}")
    try:
        device = resolve_device(args.device)
    except ValueError as err:
        parser.error(f"--device: {err}")
    out = Path(args.out)
    record = None if args.record == "-" else Path(args.record or out / "record.json")
    command = " ".join(shlex.quote(a) for a in ["python", "-m", "mlcore", *argv])
    rec = run_result(
        result,
        params,
        seeds=args.seeds,
        device=device,
        threads=args.threads,
        out_dir=out,
        record_path=record,
        progress=not args.quiet,
        command=command,
    )
    print(f"record: {record}; figures in {out}", file=sys.stderr)
    print(result.summary(rec))


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m mlcore``; exits with status 2 on a usage error."""
    import matplotlib

    matplotlib.use("Agg")  # an entry point chooses the backend; the library never does
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "list":
        for result in results():
            print(f"{result.name:12s} {result.description}")
    elif args.command == "demo":
        from .demo import demo

        demo(args.out)
    else:
        _run(parser, args, argv)


if __name__ == "__main__":
    main()
