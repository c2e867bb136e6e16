"""Small models shared by the mlcore tests (a module, not conftest, so that it imports by a
unique name next to the other test packages' conftest files)."""

import torch


def tiny_mlp(seed: int = 0, hidden: int = 32) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(64, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, 10),
    )
