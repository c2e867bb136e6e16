import pytest

from physcore.collision.model import AncillaBath, CollisionModel, TwoQubitSystem


@pytest.fixture
def asymmetric_model():
    """Detuned, DM-coupled qubits; non-conserving left bath, exchange right bath."""
    return CollisionModel(
        TwoQubitSystem(omega_1=1.0, omega_2=1.3, g=0.4, kind="dm"),
        AncillaBath(2.0, coupling="sigma_x_sigma_x", strength=0.8),
        AncillaBath(0.5, coupling="exchange", strength=1.1),
        tau=0.3,
    )


@pytest.fixture
def exchange_model():
    """Resonant XX qubits between exchange baths at different temperatures."""
    return CollisionModel(
        TwoQubitSystem(g=0.5),
        AncillaBath(2.0, strength=1.0),
        AncillaBath(0.5, strength=1.0),
        tau=0.2,
    )
