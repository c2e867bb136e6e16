"""Concurrence, negativity, mutual information and discord against closed forms."""

import numpy as np
import pytest
import qutip

from physcore.collision import correlations as corr


def x_state(a, b, c, d, z_outer, z_inner):
    """X state with diagonal (a, b, c, d) and coherences rho_14 = z_outer, rho_23 = z_inner."""
    rho = np.diag([a, b, c, d]).astype(complex)
    rho[0, 3], rho[3, 0] = z_outer, np.conj(z_outer)
    rho[1, 2], rho[2, 1] = z_inner, np.conj(z_inner)
    return rho


def random_x_states(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        a, b, c, d = rng.dirichlet(np.full(4, 0.7))
        z1 = np.sqrt(a * d) * rng.random() * np.exp(2j * np.pi * rng.random())
        z2 = np.sqrt(b * c) * rng.random() * np.exp(2j * np.pi * rng.random())
        out.append(x_state(a, b, c, d, z1, z2))
    return out


def test_bell_state_values():
    bell = qutip.ket2dm(qutip.bell_state("00"))
    assert corr.concurrence(bell) == pytest.approx(1.0)
    assert corr.negativity(bell) == pytest.approx(0.5)
    assert corr.mutual_information(bell) == pytest.approx(2.0)
    assert corr.discord(bell) == pytest.approx(1.0, abs=1e-9)


def test_concurrence_and_negativity_of_x_states_closed_forms():
    # Wootters for X states: C = 2 max(0, |r14| - sqrt(r22 r33), |r23| - sqrt(r11 r44));
    # negativity: the negative eigenvalue of the partial transpose, where (b, c) meet |r14|
    for rho in random_x_states(6, seed=1):
        a, b, c, d = np.diag(rho).real
        z1, z2 = abs(rho[0, 3]), abs(rho[1, 2])
        expected = 2 * max(0.0, z1 - np.sqrt(b * c), z2 - np.sqrt(a * d))
        assert corr.concurrence(rho) == pytest.approx(expected, abs=1e-10)
        lam = min(0.5 * (b + c - np.hypot(b - c, 2 * z1)), 0.5 * (a + d - np.hypot(a - d, 2 * z2)))
        assert corr.negativity(rho) == pytest.approx(max(0.0, -lam), abs=1e-10)


def test_discord_matches_x_state_reduction():
    for rho in random_x_states(5, seed=2):
        assert corr.discord(rho) == pytest.approx(corr.discord_x_state(rho), abs=1e-8)


def test_discord_minimum_between_the_ali_rau_alber_endpoints():
    # An X state (found by a scan) whose optimal measurement angle is strictly between 0 and
    # pi/2: the Ali-Rau-Alber endpoint formula overestimates the discord (arXiv:1102.0181,
    # Yurischev arXiv:1503.00840); the numerical minimization finds the interior minimum.
    rho = x_state(0.053, 0.060, 0.0025, 0.8845, 0.18, 0.0015)
    interior = corr.discord_x_state(rho)
    endpoints = corr.discord_x_state(rho, endpoints_only=True)
    assert endpoints - interior > 5e-4
    assert corr.discord(rho) == pytest.approx(interior, abs=1e-8)


def test_discord_vanishes_on_classical_classical_states():
    rng = np.random.default_rng(4)
    for _ in range(3):
        p = rng.dirichlet(np.ones(4))
        ua, ub = qutip.rand_unitary(2, seed=int(rng.integers(1e6))), qutip.rand_unitary(2)
        rho = sum(
            p[2 * i + j]
            * qutip.tensor(
                ua * qutip.ket2dm(qutip.basis(2, i)) * ua.dag(),
                ub * qutip.ket2dm(qutip.basis(2, j)) * ub.dag(),
            )
            for i in range(2)
            for j in range(2)
        )
        assert corr.discord(rho) < 1e-8
        assert corr.discord(rho, measured=1) < 1e-8
        assert corr.concurrence(rho) < 1e-10


def test_discord_of_pure_states_is_entanglement_entropy():
    psi = 0.8 * qutip.tensor(qutip.basis(2, 0), qutip.basis(2, 1)) + 0.6j * qutip.tensor(
        qutip.basis(2, 1), qutip.basis(2, 0)
    )
    rho = qutip.ket2dm(psi)
    s_a = qutip.entropy_vn(rho.ptrace(0), base=2)
    assert corr.discord(rho) == pytest.approx(s_a, abs=1e-8)
    assert corr.discord(rho, measured=1) == pytest.approx(s_a, abs=1e-8)
    assert corr.mutual_information(rho) == pytest.approx(2 * s_a)
