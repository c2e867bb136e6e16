"""``python -m physcore.sweeps``: see :mod:`physcore.sweeps.cli`."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
