"""Reduced-scale reproduction of arXiv:2103.09891 (Inkawhich et al., "The Untapped Potential of
Off-the-Shelf Convolutional Neural Networks") on the MNIST subset and scikit-learn's digits.

Per data set: a small ResNet whose first 3x3 convolution of each of its four stages may stride
(1,1), (1,2), (2,1) or (2,2) per image, trained statically and with a random configuration per
mini-batch; the oracle (lowest true-label loss over every configuration), the worst
configuration, the oracle with 1 to 4 dynamic layers, the training-free max-confidence and
min-entropy selectors, and learned selectors trained on oracle targets; accuracy, agreement
with the oracle and cost in multiply-accumulates.

Randomness: streams ``split``, ``init_<dataset>`` (both networks start from the same weights),
``static_<dataset>`` / ``random_<dataset>`` (stage one), ``truth_<dataset>`` (the training
images scored for the selectors' targets), ``selectors_init_<dataset>`` and
``selectors_<dataset>`` (stage two).
"""

from __future__ import annotations

from ...registry import Result, register
from .pipeline import run
from .records import (
    DatasetMetrics,
    DynamicMetrics,
    DynamicParams,
    DynamicRecord,
    FixedExample,
    SelectionPoint,
)
from .report import plot, summary

__all__ = [
    "DatasetMetrics",
    "DynamicMetrics",
    "DynamicParams",
    "DynamicRecord",
    "FixedExample",
    "RESULT",
    "SelectionPoint",
    "plot",
    "run",
    "summary",
]

RESULT = register(
    Result(
        name="dynamic",
        description="inference-time dynamic topology: per-input strides, the oracle, learned "
        "and training-free selectors (arXiv:2103.09891)",
        params=DynamicParams,
        record=DynamicRecord,
        run=run,
        plot=plot,
        summary=summary,
        demo_params=dict(
            datasets=("digits",),
            widths=(8, 16, 16, 32),
            epochs=3,
            truth_images=200,
            selector_epochs=2,
        ),
    )
)
