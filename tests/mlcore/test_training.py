"""The training loops: explicit randomness (no global reseeding), devices, mode restoring."""

import random

import numpy as np
import pytest
import torch
from mlcore_test_helpers import tiny_mlp

from mlcore.quantization import BSQ, quantize_uniform
from mlcore.rng import SeedStreams
from mlcore.training import evaluate, fit, model_device, predict_logits


def _draws():
    return (random.random(), float(np.random.rand()), float(torch.rand(1)))  # noqa: NPY002


def _seed_globals(seed):
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002
    torch.manual_seed(seed)


def test_fit_leaves_the_callers_global_generators_alone(digits):
    """Draw from random, numpy and torch before and after fit: the same numbers as without it.
    Dropout inside the loop draws from torch's global generator; fit seeds it only inside."""
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Dropout(0.3), torch.nn.Linear(64, 10))
    _seed_globals(21)
    expected = _draws()
    _seed_globals(21)
    fit(model, digits[0], epochs=1, seed=4, progress=False)
    assert _draws() == expected


def test_bsq_leaves_the_callers_global_generators_alone(digits):
    model = tiny_mlp()  # (the test helper seeds torch itself)
    _seed_globals(5)
    expected = _draws()
    _seed_globals(5)
    BSQ(alpha=0.1, epochs=1, requant_interval=1, finetune_epochs=1, progress=False).fit(
        model, digits[0]
    )
    assert _draws() == expected


def test_fit_is_reproducible_from_its_seed_alone(digits):
    """Same seed -> same weights whatever the global state; another seed -> other weights;
    a seed given as int, SeedSequence or a stream of SeedStreams is accepted."""
    a, b, c = tiny_mlp(0), tiny_mlp(0), tiny_mlp(0)
    torch.manual_seed(1)
    fit(a, digits[0], epochs=2, seed=9, progress=False)
    torch.manual_seed(2)
    np.random.seed(2)  # noqa: NPY002
    fit(b, digits[0], epochs=2, seed=np.random.SeedSequence(9), progress=False)
    fit(c, digits[0], epochs=2, seed=SeedStreams(9).seed("train"), progress=False)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


def test_predict_logits_restores_train_mode_and_returns_cpu(digits):
    model = tiny_mlp().train()
    logits = predict_logits(model, digits[1].X)
    assert model.training and logits.device.type == "cpu" and logits.shape == (len(digits[1]), 10)
    assert model_device(model).type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_smoke(digits):
    """fit, evaluate and a quantized network on the GPU give results of the same structure."""
    model = tiny_mlp().to("cuda")
    history = fit(model, digits[0], epochs=2, lr=3e-3, seed=0, progress=False)
    assert model_device(model).type == "cuda" and len(history) == 2
    assert evaluate(model, digits[1]) > 0.5
    q = quantize_uniform(model, 2)
    assert model_device(q).type == "cuda" and 0 <= evaluate(q, digits[1]) <= 1
    bsq = BSQ(alpha=0.1, epochs=1, requant_interval=1, finetune_epochs=1, progress=False)
    assert bsq.fit(model, digits[0]).scheme_.average_bits <= 8
