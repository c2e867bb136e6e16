import pytest
import torch

# The CI machine has 2 cores shared by pytest-xdist workers: one torch thread per worker.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8 x 8 digits split 80/20 (fast, real data)."""
    from mlcore.data import load_digits, train_test_split

    return train_test_split(load_digits(), test_fraction=0.2, seed=0)
