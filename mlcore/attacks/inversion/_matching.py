"""Gradient matching, the common core of the inversion attacks: the checked shared gradient,
the attacker's private copy of the model, the dummy gradient and the two matching losses
(squared distance, Zhu et al. 2019; cosine distance, Geiping et al. 2020), the total-variation
prior, and the adaptive attack's exclusion of the defended layer (Balunovic et al. 2022).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...params import Interval, ParamSpec, SequenceOf, check_value
from ...training import model_device
from .._state import preserved_mode

__all__ = ["MAX_IMAGES", "MatchingProblem", "adaptive_exclude", "total_variation"]

#: The largest batch the attacks accept (gradient inversion degrades quickly with the batch;
#: Geiping et al. 2020 go up to 100 on CIFAR-10 at great cost, Soteria's code uses 1).
MAX_IMAGES = 64

_N_IMAGES = ParamSpec(
    "n_images", None, Interval(int, 1, MAX_IMAGES), "images in the client's batch", "", False
)
_IMAGE_SHAPE = ParamSpec(
    "image_shape", None, SequenceOf(Interval(int, 1, None), 3, 3), "(c, h, w)", "pixels", False
)


def adaptive_exclude(model: nn.Module, layer_name: str | None = None) -> tuple[str, ...]:
    """The parameter names the adaptive attack leaves out of its matching loss: the weight of
    the defended layer (Balunovic, Dimitrov, Staab, Vechev, "Bayesian Framework for Gradient
    Leakage", ICLR 2022, who break Soteria by giving that tensor zero weight).

    Parameters
    ----------
    model : torch.nn.Module
        The attacked model.
    layer_name : str or None
        Module name of the defended layer (as in ``model.named_modules()``); ``None``: the
        first :class:`torch.nn.Linear` in module order, Soteria's default layer.

    Returns
    -------
    tuple of str
        ``("<layer_name>.weight",)``, to pass as ``exclude=`` to an attack.
    """
    modules = dict(model.named_modules())
    if layer_name is None:
        linear = [name for name, m in modules.items() if isinstance(m, nn.Linear)]
        if not linear:
            raise ValueError(
                f"layer_name=None needs a fully connected (torch.nn.Linear) layer; "
                f"{type(model).__name__} has none"
            )
        layer_name = linear[0]
    module = modules.get(layer_name) if layer_name else None
    if module is None or not isinstance(getattr(module, "weight", None), nn.Parameter):
        with_weight = [
            n for n, m in modules.items() if isinstance(getattr(m, "weight", None), nn.Parameter)
        ]
        raise ValueError(
            f"layer_name must name a layer with a weight; got {layer_name!r}; "
            f"allowed: {with_weight}"
        )
    return (f"{layer_name}.weight",)


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Anisotropic total variation as in Inverting Gradients (``inversefed``): the mean
    absolute difference of horizontally plus of vertically adjacent pixels."""
    dx = (x[:, :, :, :-1] - x[:, :, :, 1:]).abs().mean()
    dy = (x[:, :, :-1, :] - x[:, :, 1:, :]).abs().mean()
    return dx + dy


def _check_shared(
    model: nn.Module, shared: Mapping[str, torch.Tensor], exclude: Iterable[str]
) -> list[str]:
    """The names of the matched tensors, in the model's parameter order; ValueError for a
    key that is not a parameter, a shape mismatch, a non-finite entry or a bad exclusion."""
    if not isinstance(shared, Mapping) or not shared:
        raise ValueError("shared must be a non-empty dict of parameter name -> gradient tensor")
    params = dict(model.named_parameters())
    for key, tensor in shared.items():
        if key not in params:
            raise ValueError(
                f"shared[{key!r}] is not a parameter of {type(model).__name__} (gradient "
                f"inversion needs a 'gradient' share); allowed keys: {list(params)}"
            )
        shape = tuple(torch.as_tensor(tensor).shape)
        if shape != tuple(params[key].shape):
            raise ValueError(
                f"shared[{key!r}] has shape {shape}, the parameter has {tuple(params[key].shape)}"
            )
        if not bool(torch.isfinite(torch.as_tensor(tensor)).all()):
            raise ValueError(f"shared[{key!r}] has non-finite entries")
    exclude = tuple(exclude)
    unknown = [name for name in exclude if name not in shared]
    if unknown:
        raise ValueError(f"exclude names {unknown}, which are not in shared: {list(shared)}")
    names = [name for name in params if name in shared and name not in exclude]
    if not names:
        raise ValueError(
            f"exclude={list(exclude)} leaves no tensor of shared to match; exclude at most "
            f"{len(shared) - 1} of {list(shared)}"
        )
    return names


class MatchingProblem:
    """One attack's fixed data: a private copy of the model (the caller's is never touched;
    the copy keeps its train/eval mode), the matched parameters and their shared gradients.

    The attacker assumes the client's loss is mean cross-entropy (the default of
    :func:`mlcore.federated.local_update`); a soft label is a class distribution.
    """

    def __init__(
        self,
        owner: str,
        model: nn.Module,
        shared: Mapping[str, torch.Tensor],
        n_images: int,
        image_shape: Sequence[int],
        exclude: Iterable[str] = (),
    ):
        check_value(owner, _N_IMAGES, n_images)
        check_value(owner, _IMAGE_SHAPE, image_shape)
        self.names = _check_shared(model, shared, exclude)
        self.model = copy.deepcopy(model)
        self.device = model_device(self.model)
        params = dict(self.model.named_parameters())
        for name, p in params.items():
            p.requires_grad_(name in self.names)
            p.grad = None
        self.params = [params[name] for name in self.names]
        self.targets = [
            torch.as_tensor(shared[name]).detach().to(self.device, p.dtype)
            for name, p in zip(self.names, self.params, strict=True)
        ]
        self.target_norm = torch.sqrt(sum(t.pow(2).sum() for t in self.targets))
        if not float(self.target_norm) > 0:
            raise ValueError(f"shared is zero on every matched tensor {self.names}: nothing leaks")
        self.n_images = int(n_images)
        self.image_shape = tuple(int(s) for s in image_shape)
        self.dtype = self.params[0].dtype
        self.n_classes = self._n_classes(owner)

    def _n_classes(self, owner: str) -> int:
        x = torch.zeros((1, *self.image_shape), device=self.device, dtype=self.dtype)
        try:  # eval: a batch of one may not pass BatchNorm in training mode
            with preserved_mode(self.model), torch.no_grad():
                logits = self.model.eval()(x)
        except RuntimeError as error:
            raise ValueError(
                f"{owner}.image_shape {self.image_shape} does not fit the model: {error}"
            ) from error
        return int(logits.shape[-1])

    def check_labels(self, owner: str, labels) -> np.ndarray:
        """``labels`` as int64 ``(n_images,)`` in ``0 .. n_classes - 1``, or ValueError."""
        y = np.asarray(labels)
        if y.shape != (self.n_images,) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(
                f"{owner}: labels must be integers of shape ({self.n_images},); got "
                f"{y.dtype} {y.shape}"
            )
        if y.min() < 0 or y.max() >= self.n_classes:
            raise ValueError(
                f"{owner}: labels must be in [0, {self.n_classes - 1}]; got {y.tolist()}"
            )
        return y.astype(np.int64)

    def dummy_gradients(self, x: torch.Tensor, target: torch.Tensor) -> list[torch.Tensor]:
        """The matched parameters' gradients of the client's loss on ``x`` (with the graph
        kept, so that the matching loss can be differentiated with respect to ``x``).
        ``target``: int64 labels ``(n,)`` or class probabilities ``(n, n_classes)``."""
        loss = F.cross_entropy(self.model(x), target)
        return list(torch.autograd.grad(loss, self.params, create_graph=True))

    def squared(self, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """DLG's loss, sum over tensors of ``||g'(x) - g||^2`` (Zhu et al. 2019, Eq. 4)."""
        grads = self.dummy_gradients(x, target)
        return sum((g - t).pow(2).sum() for g, t in zip(grads, self.targets, strict=True))

    def cosine(self, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Inverting Gradients' loss ``1 - <g', g> / (||g'|| ||g||)``, the tensors taken
        together (Geiping et al. 2020, Eq. 4; ``inversefed`` ``reconstruction_costs``)."""
        grads = self.dummy_gradients(x, target)
        dot = sum((g * t).sum() for g, t in zip(grads, self.targets, strict=True))
        norm = torch.sqrt(sum(g.pow(2).sum() for g in grads))
        return 1.0 - dot / (norm * self.target_norm)
