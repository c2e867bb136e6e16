"""mlcore: network and security results. Never imports :mod:`physcore`."""

__version__ = "0.1.0"
