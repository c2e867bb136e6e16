"""Reduced-scale reproductions that write run records (JSON) and figures (PNG).

* :func:`run_bsq`: BSQ alpha sweep against uniform quantization (arXiv:2102.10462).
* :func:`run_boundary`: boundary-based retraining and the nonlinear mapping (arXiv:2012.14965).
"""

from .boundary import plot_boundary, run_boundary
from .bsq import plot_bsq, run_bsq

__all__ = ["run_bsq", "plot_bsq", "run_boundary", "plot_boundary"]
