"""``python -m validation report ...`` and ``python -m validation regression ...``."""

import sys


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"report": "validation.report", "regression": "validation.regression.cli"}
    if not argv or argv[0] not in commands:
        print(
            "usage: python -m validation report [--paper ID ...] [--out DIR] [--fast]\n"
            "       python -m validation regression check|regenerate [NAME ...]",
            file=sys.stderr,
        )
        return 2
    import importlib

    return importlib.import_module(commands[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
