"""Numba kernels: the momentum frame in which the modes are solved at generic angles.

Plain arrays only; ``hc[a, b]`` is the coefficient of ``k_x**a q**b`` in h (see :mod:`._modes`).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, error_model="numpy")
def _abs2(z):
    return z.real * z.real + z.imag * z.imag


@nb.njit(cache=True, error_model="numpy")
def transport_frame(hc, eps_scale, out):
    """Coefficients ``out[a, b]`` of h in the shifted momentum ``z = k_x - alpha q`` for
    energies of order ``eps_scale``; returns alpha (0 where there is nothing to shift) and
    the momentum scale of the roots, ``min(sqrt(eps / |h2|), eps / |h1|)`` (the solver's
    tolerance on Im k is at most 1e-12 of it: with a light mass the roots in this frame are
    ``sqrt(mu / (m v^2))`` times smaller than the contour's extent in q).

    At a generic angle the semi-Dirac h is ``(k_a^2/2m - delta) sigma_x + v k_b sigma_y`` with
    ``k_a = s k_x + c q`` and ``k_b = c k_x - s q``. When mu / (m v^2) is large (a light mass)
    every root k_x lies within ``sqrt(2 m mu)`` of the line k_a = 0, ``k_x = -c q / s``, while
    ``|q| ~ mu / v``; when it is small (a fast velocity) the propagating roots lie within
    ``mu / v`` of k_b = 0, ``k_x = s q / c``. Expanded in powers of k_x, h then cancels to
    ``mu / (m v^2)`` (or its inverse) parts in one. Shifting k_x to that line, by completing
    the square of the k_x**2 term (alpha = -c / s) where ``sqrt(mu / |h2|) < mu / |h1|`` and by
    removing the q part of the k_x-linear direction (alpha = s / c) otherwise, leaves
    ``s^2 z^2 / 2m`` or ``v c z`` exactly: coefficients that cancel to rounding are set to zero.
    Probabilities and currents do not change (a gauge transformation
    ``psi -> exp(-i alpha q x) psi``, the same in every region); momenta do, by ``alpha q``.
    """
    n = hc.shape[2]
    num_a, num_b, quad, lin, rest = 0.0, 0.0, 0.0, 0.0, 0.0
    for i in range(n):
        for j in range(n):
            num_a += (np.conj(hc[2, 0, i, j]) * hc[1, 1, i, j]).real
            num_b += (np.conj(hc[1, 0, i, j]) * hc[0, 1, i, j]).real
            quad += _abs2(hc[2, 0, i, j])
            lin += _abs2(hc[1, 0, i, j])
            rest += _abs2(hc[2, 1, i, j]) + _abs2(hc[2, 2, i, j]) + _abs2(hc[1, 2, i, j])
    alpha = 0.0
    # the momentum scale of the roots in this frame (``ktol`` is a fraction of it)
    k_quad = math.sqrt(eps_scale / math.sqrt(quad)) if quad > 0.0 else np.inf
    k_lin = eps_scale / math.sqrt(lin) if lin > 0.0 else np.inf
    scale = min(k_quad, k_lin)
    if rest == 0.0 and quad > 0.0:  # else the shift would raise the degree in q
        light = lin == 0.0 or math.sqrt(eps_scale / math.sqrt(quad)) < eps_scale / math.sqrt(lin)
        if light:
            alpha = -0.5 * num_a / quad
        elif lin > 0.0:
            alpha = -num_b / lin
    _shift_coefficients(hc, alpha, out)
    return alpha, scale


@nb.njit(cache=True, error_model="numpy")
def _shift_coefficients(hc, alpha, out):
    """``out`` = the coefficients of ``h(alpha q + z; q)`` in powers of z and q, each real and
    imaginary part set to zero where it cancels to rounding."""
    n = hc.shape[2]
    binom = (1.0, 1.0, 1.0, 1.0, 2.0, 1.0)  # C(a, i) at index a (a + 1) / 2 + i
    acc = np.zeros((3, 3))
    mag = np.zeros((3, 3))
    for i in range(n):
        for j in range(n):
            for part in range(2):
                acc[:] = 0.0
                mag[:] = 0.0
                for a in range(3):
                    for b in range(3):
                        c = hc[a, b, i, j].real if part == 0 else hc[a, b, i, j].imag
                        if c == 0.0:
                            continue
                        for z in range(a + 1):  # (alpha q + z)^a: C(a, z) z^z (alpha q)^(a-z)
                            term = binom[a * (a + 1) // 2 + z] * c * alpha ** (a - z)
                            acc[z, a - z + b] += term
                            mag[z, a - z + b] += abs(term)
                for z in range(3):
                    for p in range(3):
                        val = acc[z, p] if abs(acc[z, p]) > 16e-16 * mag[z, p] else 0.0
                        if part == 0:
                            out[z, p, i, j] = val
                        else:
                            out[z, p, i, j] += 1j * val
