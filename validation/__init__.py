"""validation: published references and the checks of our results against them."""

__version__ = "0.1.0"
