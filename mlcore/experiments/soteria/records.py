"""Parameters, per-seed metrics and run record of the Soteria reproduction."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from ...params import Interval, Params, SequenceOf, parameter
from ...records import Metrics, RunRecord
from .._common import POSITIVE, n_samples_parameter, test_fraction_parameter

__all__ = [
    "SoteriaParams",
    "Reconstruction",
    "AttackPoint",
    "AccuracyPoint",
    "BoundPoint",
    "SoteriaMetrics",
    "SoteriaRecord",
    "ATTACKS",
    "DEFENSES",
    "encode_image",
    "decode_image",
]

#: The attacks, each on its own network (DLG: DLGLeNet; GS: ConvNet), and the adaptive attack
#: (Balunovic et al., ICLR 2022) that leaves the defended layer out of GS's matching loss.
ATTACKS = ("dlg", "gs", "gs_adaptive")
#: The client-update transforms compared.
DEFENSES = ("none", "soteria", "prune", "dp", "noise")

RATE = Interval(float, 0, 100, closed="left")


@dataclass(frozen=True)
class SoteriaParams(Params):
    """Parameters of the Soteria reproduction (defaults: the reduced configuration)."""

    pruning_rates: tuple = parameter(
        (40.0, 50.0, 60.0, 70.0, 80.0),
        SequenceOf(RATE),
        "pruning rates of Soteria and of gradient magnitude pruning",
        unit="%",
    )
    dlg_images: int = parameter(
        7, Interval(int, 1, 100), "digits attacked by undefended DLG per seed", unit="images"
    )
    defended_images: int = parameter(
        3,
        Interval(int, 1, 100),
        "digits DLG attacks per defended setting per seed",
        unit="images",
    )
    gs_images: int = parameter(
        1, Interval(int, 1, 100), "digits GS attacks per setting per seed", unit="images"
    )
    dlg_iterations: int = parameter(
        30, Interval(int, 1, None), "DLG outer L-BFGS iterations", unit="iterations"
    )
    gs_iterations: int = parameter(
        800, Interval(int, 1, None), "Inverting Gradients Adam iterations", unit="iterations"
    )
    gs_tv_weight: float = parameter(
        1e-4, Interval(float, 0, None), "Inverting Gradients total-variation weight"
    )
    gs_width: int = parameter(16, Interval(int, 1, 64), "ConvNet width (reference: 64)")
    score_samples: int = parameter(
        1,
        Interval(int, 1, None),
        "client samples Soteria scores on for a FedAvg weight-change share",
        unit="images",
    )
    offset: float = parameter(
        0.1, Interval(float, 0, None), "Soteria's offset in ||dr/dX|| / (r + offset)"
    )
    dp_clip_norm: float = parameter(
        1.0, POSITIVE, "DP per-sample clipping bound C", unit="gradient L2 norm"
    )
    dp_noise_multiplier: float = parameter(
        1.0, POSITIVE, "DP Gaussian noise standard deviation / C", unit="dimensionless"
    )
    dp_delta: float = parameter(
        1e-5, Interval(float, 0, 1, closed="neither"), "DP delta", unit="probability"
    )
    noise_scale: float = parameter(
        0.1, POSITIVE, "the reference code's unclipped Laplace noise scale", unit="gradient"
    )
    accuracy_budget: float = parameter(
        1.0,
        Interval(float, 0, 100),
        "accuracy cost allowed when choosing Soteria's rate",
        unit="percentage points",
    )
    n_clients: int = parameter(10, Interval(int, 1, 100), "FedAvg clients (IID split)")
    clients_per_round: int = parameter(4, Interval(int, 1, 100), "clients sampled per round")
    rounds: int = parameter(8, Interval(int, 1, None), "ConvNet FedAvg rounds", unit="rounds")
    lenet_rounds: int = parameter(
        30, Interval(int, 1, None), "DLG LeNet FedAvg rounds (it learns slowly)", unit="rounds"
    )
    local_steps: int = parameter(
        8, Interval(int, 1, None), "local optimizer steps per round", unit="steps"
    )
    batch_size: int = parameter(32, Interval(int, 1, None), "local batch size", unit="samples")
    lenet_lr: float = parameter(1e-2, POSITIVE, "DLG LeNet's local Adam learning rate")
    convnet_lr: float = parameter(1e-3, POSITIVE, "ConvNet's local Adam learning rate")
    test_fraction: float = test_fraction_parameter()
    n_samples: int | None = n_samples_parameter()

    def __post_init__(self):
        super().__post_init__()
        if self.clients_per_round > self.n_clients:
            raise ValueError(
                f"SoteriaParams.clients_per_round must be in [1, n_clients={self.n_clients}]; "
                f"got {self.clients_per_round}"
            )
        for name in ("defended_images", "gs_images"):
            if getattr(self, name) > self.dlg_images:
                raise ValueError(
                    f"SoteriaParams.{name} must be in [1, dlg_images={self.dlg_images}]; "
                    f"got {getattr(self, name)}"
                )


def encode_image(image: np.ndarray) -> str:
    """A ``(c, h, w)`` image in [0, 1] as base64 of its 8-bit values (for figures only; every
    metric is computed from the float image)."""
    pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    return base64.b64encode(pixels.tobytes()).decode("ascii")


def decode_image(text: str, shape: tuple[int, int, int]) -> np.ndarray:
    """Inverse of :func:`encode_image` (float32 in [0, 1])."""
    pixels = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    return (pixels.reshape(shape) / 255.0).astype(np.float32)


@dataclass(frozen=True)
class Reconstruction(Metrics):
    """One attacked digit: its index in the training split, the label the attack used, and the
    quality of the reconstruction (pixel MSE in [0, 1] space, MSE in normalized space, PSNR in
    dB, SSIM). ``image``: the reconstruction (:func:`encode_image`) of the first digit of a
    setting, empty for the others (it is for the figure only)."""

    index: int
    label_correct: bool
    mse: float
    mse_normalized: float
    psnr: float
    ssim: float
    matching_loss: float
    image: str


@dataclass(frozen=True)
class AttackPoint(Metrics):
    """One (attack, defense, rate) setting of one seed: every attacked digit."""

    attack: str
    defense: str
    rate: float | None
    images: tuple[Reconstruction, ...]

    @property
    def key(self) -> str:
        rate = "" if self.rate is None else f"_{self.rate:g}"
        return f"{self.attack}_{self.defense}{rate}"

    @property
    def median_mse(self) -> float:
        return float(np.median([r.mse for r in self.images]))

    @property
    def median_mse_normalized(self) -> float:
        return float(np.median([r.mse_normalized for r in self.images]))


@dataclass(frozen=True)
class AccuracyPoint(Metrics):
    """FedAvg test accuracy (in [0, 1]) of one network under one defense."""

    network: str
    defense: str
    rate: float | None
    accuracy: float

    @property
    def key(self) -> str:
        rate = "" if self.rate is None else f"_{self.rate:g}"
        return f"{self.network}_{self.defense}{rate}"


@dataclass(frozen=True)
class BoundPoint(Metrics):
    """Soteria's certified distance at one rate (ours, see :mod:`mlcore.privacy`), median over
    the attacked digits: ``lower_bound`` = ||r - r'|| / L (pixel L2), ``linearized`` =
    ||J^+ (r - r')||, and the distance the DLG reconstruction actually reached."""

    network: str
    rate: float
    lower_bound: float
    linearized: float
    attack_distance: float

    @property
    def key(self) -> str:
        return f"{self.network}_{self.rate:g}"


@dataclass(frozen=True)
class SoteriaMetrics(Metrics):
    """One seed: the first attacked digit (for the figure), every attack setting, FedAvg
    accuracies, the chosen rate (the largest whose Soteria accuracy is within
    ``accuracy_budget`` of no defense, per network; ``None`` when none is), DP's epsilon, and
    the certified bounds."""

    n_train: int
    n_test: int
    original_image: str
    attacks: tuple[AttackPoint, ...]
    accuracy: tuple[AccuracyPoint, ...]
    chosen_rate_dlg: float | None
    chosen_rate_gs: float | None
    dp_epsilon_per_round: float
    bounds: tuple[BoundPoint, ...]

    def point(self, attack: str, defense: str, rate: float | None = None) -> AttackPoint | None:
        """The attack setting ``(attack, defense, rate)``, or None if it was not run."""
        for p in self.attacks:
            if (p.attack, p.defense, p.rate) == (attack, defense, rate):
                return p
        return None

    def accuracy_of(self, network: str, defense: str, rate: float | None = None) -> float:
        for p in self.accuracy:
            if (p.network, p.defense, p.rate) == (network, defense, rate):
                return p.accuracy
        raise KeyError(f"no accuracy for {(network, defense, rate)}")


@dataclass(frozen=True)
class SoteriaRecord(
    RunRecord, result="soteria", params_type=SoteriaParams, metrics_type=SoteriaMetrics
):
    """Run record of the Soteria reproduction."""
