"""Provable defense against poisoning users by coded subset aggregation (arXiv:2101.08177).

Sub-models train on subsets of the users' data chosen by a binary code (:mod:`.codes`) and
vote; the vote is certified against ``k`` malicious users (:mod:`.certify`); a BadNets
backdoor (:mod:`.backdoor`) is the attack; disjunct codes locate the attackers
(:mod:`.localize`); :mod:`.ensemble` trains the sub-models. Definitions that the paper's body
would fix (utilization, reach, the bound) are ours, marked [DERIVED], and live in
:mod:`.codes` only.
"""

from .backdoor import BadNets, attack_success_rate
from .certification import Certificate, certified_accuracy, certify, majority_vote
from .codes import (
    AnnealResult,
    Reach,
    anneal_code,
    certifiable_users,
    check_code,
    cyclic_code,
    partition_code,
    projective_plane_code,
    random_selection_code,
    reach,
    reach_profile,
    utilization,
)
from .ensemble import MLP, submodel_votes, subset_indices, train_submodels
from .localize import (
    decode,
    is_disjunct,
    kautz_singleton_code,
    kautz_singleton_design_k,
    positive_tests,
    random_disjunct_code,
)

__all__ = [
    "AnnealResult",
    "BadNets",
    "Certificate",
    "MLP",
    "Reach",
    "anneal_code",
    "attack_success_rate",
    "certifiable_users",
    "certified_accuracy",
    "certify",
    "check_code",
    "cyclic_code",
    "decode",
    "is_disjunct",
    "kautz_singleton_code",
    "kautz_singleton_design_k",
    "majority_vote",
    "partition_code",
    "positive_tests",
    "projective_plane_code",
    "random_disjunct_code",
    "random_selection_code",
    "reach",
    "reach_profile",
    "submodel_votes",
    "subset_indices",
    "train_submodels",
    "utilization",
]
