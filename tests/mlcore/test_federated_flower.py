"""The Flower adapter runs the same clients to the same global model as the in-process FedAvg."""

import pytest
import torch

pytest.importorskip("flwr", reason="flwr is in the ml extra")
pytest.importorskip("ray", reason="Flower's simulation needs flwr[simulation]")

from mlcore.federated import Client, CoordinateMedian, FedAvg, LocalTraining  # noqa: E402
from mlcore.federated.flower import run_flower  # noqa: E402
from mlcore.partition import dirichlet_partition  # noqa: E402


def dropout_mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(64, 24),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(24, 10),
    )


def dp_like_noise(update, generator):
    """Seeded Gaussian noise on the share: checks the transform's generator is the same."""
    tensors = {
        k: v + 1e-3 * torch.randn(v.shape, generator=generator, dtype=v.dtype)
        for k, v in update.tensors.items()
    }
    return update.replace(tensors=tensors)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning:ray.*")
@pytest.mark.parametrize("aggregator", [None, CoordinateMedian()], ids=["flower-mean", "median"])
def test_flower_adapter_matches_in_process(aggregator, digits):
    """``None``: Flower's own FedAvg aggregation; a rule: applied by the strategy."""
    train, _ = digits
    part = dirichlet_partition(train.y[:500], 4, alpha=1.0, min_samples=40, random_state=0)
    clients = [Client(idx, LocalTraining(local_steps=3, batch_size=16, lr=0.1)) for idx in part]

    def simulation():
        return FedAvg(
            clients,
            train.X,
            train.y,
            options={"fraction": 0.5} if aggregator is None else {"clients_per_round": 3},
            transform=dp_like_noise,
            aggregator=aggregator,
            random_state=3,
            progress=False,
        )

    local = simulation().run(3, dropout_mlp())
    flower = run_flower(simulation(), dropout_mlp(), 3)
    assert [r.clients for r in flower.rounds] == [r.clients for r in local.rounds]
    assert len({r.clients for r in local.rounds}) > 1  # sampling really varies
    assert [r.losses for r in flower.rounds] == [r.losses for r in local.rounds]
    for (name, a), b in zip(local.model.state_dict().items(), flower.model.state_dict().values()):
        assert torch.equal(a, b), name
    assert flower.seeds == local.seeds
