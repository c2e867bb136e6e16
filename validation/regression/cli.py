"""``python -m validation regression check|regenerate [NAME ...] [--all]``."""

from __future__ import annotations

import argparse
import sys

from . import CURVES, compare, curve_by_name, regenerate


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validation regression")
    parser.add_argument("action", choices=("check", "regenerate", "list"))
    parser.add_argument("names", nargs="*", help="curve names (default for check: all)")
    parser.add_argument("--all", action="store_true", help="regenerate every curve")
    args = parser.parse_args(argv)
    try:
        curves = [curve_by_name(n) for n in args.names] if args.names else list(CURVES)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.action == "list":
        for c in CURVES:
            print(f"{c.name}: {c.producer.__name__}({c.kwargs}) rtol={c.rtol:g} atol={c.atol:g}")
        return 0
    if args.action == "regenerate":
        if not args.names and not args.all:
            print("error: name the curves to regenerate, or pass --all", file=sys.stderr)
            return 2
        for c in curves:
            print(f"regenerated {c.name}: {regenerate(c)}")
        return 0
    failed = 0
    for c in curves:
        dev = compare(c)
        failed += not dev.passed
        print(("ok   " if dev.passed else "FAIL ") + dev.message)
    return 1 if failed else 0
