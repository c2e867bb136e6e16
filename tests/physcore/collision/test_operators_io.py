"""The shared operator module and the one provenance helper (physcore._operators, physcore._io)."""

import numpy as np
import pytest
import qutip

from physcore import _operators as ops
from physcore._io import provenance


def test_pauli_matrices_follow_qutip():
    for ours, theirs in (
        (ops.PAULI_X, qutip.sigmax()),
        (ops.PAULI_Y, qutip.sigmay()),
        (ops.PAULI_Z, qutip.sigmaz()),
        (ops.SIGMA_PLUS, qutip.sigmap()),
        (ops.SIGMA_MINUS, qutip.sigmam()),
    ):
        np.testing.assert_array_equal(ours, theirs.full())
    # algebra: s_i s_j = delta_ij + i eps_ijk s_k
    np.testing.assert_allclose(ops.PAULI_X @ ops.PAULI_Y, 1j * ops.PAULI_Z)
    for s in ops.PAULI:
        np.testing.assert_allclose(s @ s, np.eye(2))
    with pytest.raises(ValueError):
        ops.PAULI_X[0, 0] = 2.0  # shared constants are read-only


def test_two_qubit_dims_and_embedding():
    op = qutip.Qobj(np.kron(ops.PAULI_X, ops.PAULI_Z), dims=ops.TWO_QUBIT_DIMS)
    assert op.dims == qutip.tensor(qutip.sigmax(), qutip.sigmaz()).dims
    sup = qutip.Qobj(np.eye(16), dims=ops.TWO_QUBIT_SUPER_DIMS, superrep="super")
    assert sup.issuper and sup.dims == qutip.to_super(qutip.qeye([2, 2])).dims
    np.testing.assert_array_equal(
        ops.embed(ops.PAULI_Z, 2, 4),
        qutip.tensor([qutip.qeye(2)] * 2 + [qutip.sigmaz(), qutip.qeye(2)]).full(),
    )
    np.testing.assert_array_equal(ops.as_array(op, shape=(4, 4)), op.full())
    with pytest.raises(ValueError, match="h12 must have shape"):
        ops.as_array(np.eye(3), "h12", shape=(4, 4))
    with pytest.raises(ValueError, match="site"):
        ops.embed(ops.PAULI_Z, 4, 4)


def test_gibbs_populations():
    # the Gibbs state of w/2 sigma_z, and the limits T -> 0 and T -> infinity
    w, t = 1.3, 0.7
    rho = (-w / 2 * qutip.sigmaz() / t).expm()
    np.testing.assert_allclose(np.diag(ops.gibbs_populations(w, t)), (rho / rho.tr()).full())
    assert ops.excited_population(1.0, 1e-4) == 0.0 and ops.excited_population(
        1.0, 1e12
    ) == pytest.approx(0.5)
    np.testing.assert_allclose(
        np.exp(ops.log_gibbs_populations(w, [0.5, 2.0])), ops.gibbs_populations(w, [0.5, 2.0])
    )
    assert np.all(np.isfinite(ops.log_gibbs_populations(1.0, 1e-4)))


def test_provenance_has_one_key_style():
    record = provenance("qutip", "scipy", "no-such-library")
    assert record["physcore_version"] and record["numpy_version"] == np.__version__
    assert record["qutip_version"] == qutip.__version__
    assert record["no_such_library_version"] == "not installed"
    assert all(k.endswith("_version") and isinstance(v, str) for k, v in record.items())
