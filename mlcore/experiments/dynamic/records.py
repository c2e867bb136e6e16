"""Parameters, per-seed metrics and run record of the inference-time dynamic topology
reproduction (arXiv:2103.09891)."""

from __future__ import annotations

from dataclasses import dataclass

from ...params import Interval, Options, Params, SequenceOf, parameter
from ...records import Metrics, RunRecord
from .._common import POSITIVE, n_samples_parameter, test_fraction_parameter

__all__ = [
    "DATASET_NAMES",
    "SELECTIONS",
    "DynamicParams",
    "SelectionPoint",
    "FixedExample",
    "DatasetMetrics",
    "DynamicMetrics",
    "DynamicRecord",
]

DATASET_NAMES = ("mnist_subset", "digits")

#: Per-image choices compared, in table order.
SELECTIONS = ("oracle", "max_confidence", "min_entropy", "learned", "worst")


@dataclass(frozen=True)
class DynamicParams(Params):
    """Parameters of the reduced-scale reproduction (MNIST subset, scikit-learn digits)."""

    datasets: tuple = parameter(DATASET_NAMES, SequenceOf(Options(*DATASET_NAMES)), "data sets")
    n_samples: int | None = n_samples_parameter()
    test_fraction: float = test_fraction_parameter()
    widths: tuple = parameter(
        (16, 32, 64, 128), SequenceOf(Interval(int, 1, None)), "channels of the four stages"
    )
    upsampling: bool = parameter(
        False, Options(False, True), "add the transposed (upsampling) options to the four strides"
    )
    epochs: int = parameter(15, Interval(int, 1, None), "stage one, both networks", unit="epochs")
    lr: float = parameter(2e-3, POSITIVE, "stage-one Adam learning rate")
    batch_size: int = parameter(64, Interval(int, 1, None), "stage-one mini-batch", unit="images")
    truth_images: int = parameter(
        2000,
        Interval(int, 10, None),
        "training images scored under every configuration for the selectors' targets",
        unit="images",
    )
    selector_epochs: int = parameter(8, Interval(int, 1, None), "stage two", unit="epochs")
    selector_lr: float = parameter(1e-3, POSITIVE, "stage-two Adam learning rate")
    selector_hidden: int = parameter(16, Interval(int, 1, None), "selector channels")
    examples: int = parameter(
        6, Interval(int, 0, 32), "test images a configuration fixes, kept for the figure"
    )

    def __post_init__(self):
        super().__post_init__()
        if len(self.widths) != 4:
            raise ValueError(f"DynamicParams.widths must have 4 entries; got {self.widths!r}")


@dataclass(frozen=True)
class SelectionPoint(Metrics):
    """One way of choosing a configuration per test image.

    ``accuracy`` and ``oracle_agreement`` (share of images where the choice is the oracle's) in
    [0, 1]; ``macs_per_image``: multiply-accumulates per image of making the choice and
    predicting (the oracle and the training-free selectors evaluate every configuration, with
    prefixes shared); ``option_counts[layer][option]``: test images taking each option."""

    dataset: str
    name: str
    accuracy: float
    oracle_agreement: float
    macs_per_image: float
    option_counts: tuple[tuple[int, ...], ...]

    @property
    def key(self) -> str:
        return f"{self.dataset}_{self.name}"


@dataclass(frozen=True)
class FixedExample(Metrics):
    """A test image the static configuration gets wrong and the oracle's configuration right;
    ``pixels``: the image as hexadecimal bytes (0-255, row-major), for the figure."""

    dataset: str
    label: int
    static_prediction: int
    oracle_prediction: int
    configuration: str
    pixels: str
    shape: tuple[int, int]


@dataclass(frozen=True)
class DatasetMetrics(Metrics):
    """One data set of one seed, accuracies in [0, 1].

    ``static_accuracy``: the network trained at its static configuration;
    ``static_oracle``: the oracle over every configuration of that same static-trained network
    (an off-the-shelf model, never trained with other strides); ``default_accuracy``: the
    random-configuration network at the static configuration (the static configuration the
    oracle includes); ``mean_configuration_accuracy``: averaged over configurations;
    ``oracle_by_layers[k-1]`` and ``configurations_by_layers[k-1]``: the oracle with only the
    first k dynamic layers free and the number of configurations it chooses from."""

    dataset: str
    static_accuracy: float
    static_oracle: float
    default_accuracy: float
    mean_configuration_accuracy: float
    oracle_by_layers: tuple[float, ...]
    configurations_by_layers: tuple[int, ...]
    selections: tuple[SelectionPoint, ...]
    static_macs_per_image: float
    oracle_loop_macs_per_image: float
    selector_parameters: int
    backbone_parameters: int
    oracle_configuration_counts: tuple[int, ...]
    examples: tuple[FixedExample, ...]

    @property
    def key(self) -> str:
        return self.dataset

    def selection(self, name: str) -> SelectionPoint:
        for s in self.selections:
            if s.name == name:
                return s
        raise KeyError(f"no selection {name!r} for {self.dataset}")


@dataclass(frozen=True)
class DynamicMetrics(Metrics):
    """One seed: every data set."""

    datasets: tuple[DatasetMetrics, ...]

    def dataset(self, name: str) -> DatasetMetrics:
        for d in self.datasets:
            if d.dataset == name:
                return d
        raise KeyError(f"no data set {name!r} in this record")


@dataclass(frozen=True)
class DynamicRecord(
    RunRecord, result="dynamic", params_type=DynamicParams, metrics_type=DynamicMetrics
):
    """Run record of the inference-time dynamic topology reproduction."""
