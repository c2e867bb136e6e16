"""Dynamic-topology cost on this machine (the reproduction's MNIST network, widths 16/32/64/128,
256 configurations, 1 thread, untrained weights: cost does not depend on them):

* the oracle, every configuration of every image: shared-prefix evaluation
  (:meth:`StriderNet.forward_all`, one pass per option and distinct feature shape) against one
  forward pass per configuration (the reference code's loop), as a ratio, results compared;
* the learned selectors' overhead: one routed pass in which every selector runs and the static
  configuration is taken, against static inference of the same network, with
  multiply-accumulates.

Run: ``python -m benchmarks dynamic``.
"""

from __future__ import annotations

import time

import torch

_N = 64


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    from mlcore.dynamic.cost import count_macs
    from mlcore.dynamic.network import StriderNet
    from mlcore.dynamic.selectors import SelectorSet
    from mlcore.rng import global_rng_seeded

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with global_rng_seeded(0):
            net = StriderNet().eval()
            selectors = SelectorSet(net).eval()
        x = torch.rand(_N, 1, 28, 28)
        configs = net.space.configurations
        with torch.no_grad():
            shared = net.forward_all(x)
            loop = torch.stack([net(x, c) for c in configs])
            t_shared = _best(lambda: net.forward_all(x), 2)
            t_loop = _best(lambda: [net(x, c) for c in configs], 2)
            t_static = _best(lambda: net(x), 5)
        default = net.space.default

        def at_default(layer, h, prefix, pos):
            selectors.logits(layer, h, prefix)  # the selector's work, then the static choice
            return torch.full((len(h),), default[layer])

        with torch.no_grad():
            t_routed = _best(lambda: net.forward_routed(x, at_default), 5)
        diff = float((shared - loop).abs().max())
        macs = {
            "static": count_macs([net], lambda: net(x)) / _N,
            "loop": count_macs([net], lambda: [net(x, c) for c in configs]) / _N,
            "shared": count_macs([net], lambda: net.forward_all(x)) / _N,
            "routed": count_macs([net, selectors], lambda: net.forward_routed(x, at_default)) / _N,
        }
    finally:
        torch.set_num_threads(threads)
    per = 1e3 / _N
    print(f"oracle, {len(configs)} configurations, {_N} images, 1 thread (per image):")
    print(
        f"  shared prefixes {t_shared * per:7.2f} ms, {macs['shared'] / 1e6:6.1f} MMAC | one "
        f"configuration at a time {t_loop * per:7.2f} ms, {macs['loop'] / 1e6:6.1f} MMAC | "
        f"x{t_loop / t_shared:.2f} wall, x{macs['loop'] / macs['shared']:.2f} MACs; "
        f"largest logit difference {diff:.1e}"
    )
    print(
        f"  against static inference {t_static * per:.3f} ms ({macs['static'] / 1e6:.2f} MMAC): "
        f"the oracle costs x{t_shared / t_static:.0f} (one at a time x{t_loop / t_static:.0f})"
    )
    print(
        f"selectors choosing the static configuration: {t_routed * per:.3f} ms, "
        f"{macs['routed'] / 1e6:.2f} MMAC per image; overhead over static "
        f"x{t_routed / t_static:.2f} wall, x{macs['routed'] / macs['static']:.2f} MACs "
        "(a chosen configuration then costs what that configuration costs)"
    )
