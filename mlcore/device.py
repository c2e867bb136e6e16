"""Device choice for every mlcore result: ``"auto"`` (CUDA when available), ``"cpu"``,
``"cuda"`` or ``"cuda:N"``. The runner resolves it once and moves models and batches there."""

from __future__ import annotations

import torch

__all__ = ["resolve_device", "DEVICE_CHOICES"]

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """The :class:`torch.device` for ``device``.

    Raises
    ------
    ValueError
        ``device`` is not ``auto``, ``cpu``, ``cuda`` or ``cuda:N``, or CUDA was asked for and
        is not available (the message says so; use ``--device cpu`` or ``auto``).
    """
    if isinstance(device, torch.device):
        name = str(device)
    elif isinstance(device, str):
        name = device.strip().lower()
    else:
        raise ValueError(f"device must be one of {DEVICE_CHOICES} or 'cuda:N'; got {device!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or (name.startswith("cuda:") and name[5:].isdigit()):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} but CUDA is not available on this machine; "
                "use device='cpu' or 'auto'"
            )
        index = int(name[5:]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) present"
            )
        return torch.device(name)
    raise ValueError(f"device must be one of {DEVICE_CHOICES} or 'cuda:N'; got {device!r}")
