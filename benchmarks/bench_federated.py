"""FedAvg round time: the in-process simulation against the same clients under Flower's
simulation (Ray back-end), as a ratio measured in one run.

10 LeNet-5 clients, an IID split of the 5000-digit MNIST subset (500 samples each), full
participation, one local epoch of SGD (batch 32, momentum 0.9) per round. Both runs use one
torch thread per client: in-process the clients train one after another; under Flower they
train in Ray actors, one per CPU core, in parallel. The round time is the server's time from
sending the global model to holding the new one (``RoundRecord.wall_time_s``). The ratio
takes the median over rounds 2.., since Flower's first round also starts the Ray actors
(reported apart, with Ray's start-up and shut-down). The two runs must reach the same global
model, which is checked.

Run: ``python -m benchmarks federated``.
"""

from __future__ import annotations

import os
import statistics
import time

import torch

N_CLIENTS = 10
N_ROUNDS = 4


def _simulation(data, clients):
    from mlcore.federated import FedAvg

    return FedAvg(clients, data.X, data.y, random_state=0, progress=False)


def main() -> None:
    from mlcore.data import iid_partition, load_mnist_subset
    from mlcore.federated import Client, LocalTraining
    from mlcore.federated.flower import run_flower
    from mlcore.models import LeNet5

    torch.set_num_threads(1)
    data = load_mnist_subset()
    part = iid_partition(data.y, N_CLIENTS, random_state=0)
    training = LocalTraining(local_epochs=1, batch_size=32, lr=0.05, momentum=0.9)
    clients = [Client(idx, training) for idx in part]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = LeNet5()

    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    local = _simulation(data, clients).run(N_ROUNDS, model)
    local_total = time.perf_counter() - t0
    t0 = time.perf_counter()
    flower = run_flower(_simulation(data, clients), model, N_ROUNDS)
    flower_total = time.perf_counter() - t0

    local_round = statistics.median(r.wall_time_s for r in local.rounds[1:])
    flower_round = statistics.median(r.wall_time_s for r in flower.rounds[1:])
    flower_overhead = flower_total - sum(r.wall_time_s for r in flower.rounds[1:]) - flower_round
    same = all(
        torch.equal(a, b)
        for a, b in zip(local.model.state_dict().values(), flower.model.state_dict().values())
    )
    print(
        f"torch {torch.__version__}, 1 thread per client, {os.cpu_count()} CPUs "
        f"(= Ray actors), load average {load:.1f} at start"
    )
    print(
        f"{N_CLIENTS} LeNet-5 clients x 500 MNIST digits, 1 local epoch; "
        f"median of rounds 2..{N_ROUNDS}"
    )
    print("                     round time   whole run   first round")
    for name, result, total in (
        ("in-process FedAvg", local, local_total),
        ("Flower simulation", flower, flower_total),
    ):
        median = statistics.median(r.wall_time_s for r in result.rounds[1:])
        first = result.rounds[0].wall_time_s
        print(f"{name:20s} {median:8.2f} s   {total:8.2f} s   {first:8.2f} s")
    print(f"ratio Flower / in-process, per round: {flower_round / local_round:.2f}x")
    print(f"Flower fixed cost (Ray start-up, actors, shut-down): {flower_overhead:.1f} s")
    print(f"same global model after {N_ROUNDS} rounds: {same}")
    print(f"mean training loss per round: {local.mean_losses().round(3).tolist()}")


if __name__ == "__main__":
    main()
