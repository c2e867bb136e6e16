"""Targeted transfer attacks when the white box and the black box share no labels
(Inkawhich et al., arXiv:2103.09916): environments with disjoint label spaces
(:mod:`mlcore.transfer.environments`), the small CNNs trained in them
(:mod:`mlcore.transfer.models`) and the class correspondence matrix with proxy selection
(:mod:`mlcore.transfer.correspondence`). The attacks live in :mod:`mlcore.attacks`
(``TargetedMomentum``, ``FeatureSpaceAttack``, ``RGF``, ``SquareFromStart``)."""

from .correspondence import CorrespondenceMatrix, correspondence_matrix, environment_correspondence
from .environments import ENVIRONMENTS, Environment, make_environment
from .models import SmallCNN, fit_small_cnn, small_cnn

__all__ = [
    "ENVIRONMENTS",
    "CorrespondenceMatrix",
    "Environment",
    "SmallCNN",
    "correspondence_matrix",
    "environment_correspondence",
    "fit_small_cnn",
    "make_environment",
    "small_cnn",
]
