"""Reduced-scale reproduction of Soteria (Sun et al., CVPR 2021, arXiv:2012.06043) on the
5000-digit MNIST subset: gradient inversion of a single digit's shared gradient by DLG (on DLG's
sigmoid LeNet) and by Inverting Gradients (GS, on a narrow ConvNet), under no defense, Soteria
and gradient magnitude pruning at each pruning rate, differential privacy (per-sample clipping
and Gaussian noise) and the reference code's unclipped Laplace noise; the adaptive attack of
Balunovic et al. (ICLR 2022) against Soteria; FedAvg test accuracy of both networks under each
defense; and our certified distance of Soteria's perturbed representation.

The claims checked (``validation/references/privacy.py``): undefended DLG recovers single digits
(median pixel MSE below 1e-3); Soteria's GS error rises with the rate over 40-80 % and exceeds
pruning's from 60 % up (the reference repository's figure); at the largest rate that costs at
most ``accuracy_budget`` percentage points of FedAvg accuracy, Soteria raises DLG's and GS's
error at least tenfold; the adaptive attack is reported beside it.
"""

from __future__ import annotations

from ...registry import Result, register
from .pipeline import run
from .records import (
    AccuracyPoint,
    AttackPoint,
    BoundPoint,
    Reconstruction,
    SoteriaMetrics,
    SoteriaParams,
    SoteriaRecord,
)
from .report import plot, summary

__all__ = [
    "SoteriaParams",
    "Reconstruction",
    "AttackPoint",
    "AccuracyPoint",
    "BoundPoint",
    "SoteriaMetrics",
    "SoteriaRecord",
    "RESULT",
    "run",
    "plot",
    "summary",
]

RESULT = register(
    Result(
        name="soteria",
        description="gradient inversion (DLG, GS, adaptive) vs Soteria, pruning and DP, with "
        "FedAvg accuracy, MNIST subset (arXiv:2012.06043)",
        params=SoteriaParams,
        record=SoteriaRecord,
        run=run,
        plot=plot,
        summary=summary,
        demo_params=dict(
            n_samples=600,
            pruning_rates=(40.0, 80.0),
            dlg_images=2,
            defended_images=1,
            dlg_iterations=20,
            gs_iterations=100,
            gs_width=8,
            rounds=3,
            lenet_rounds=3,
            local_steps=2,
        ),
    )
)
