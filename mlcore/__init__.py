"""mlcore: network and security results. Never imports :mod:`physcore`.

* :mod:`mlcore.data`: image data sets as arrays (MNIST subset, digits, MNIST, CIFAR-10).
* :mod:`mlcore.models`: LeNet-5, ResNet-20.
* :mod:`mlcore.training`: training / evaluation loops with explicit randomness, on any device.
* :mod:`mlcore.rng`, :mod:`mlcore.params`, :mod:`mlcore.device`: named seed streams, declared
  parameter constraints, the device choice.
* :mod:`mlcore.quantization`: BSQ bit-level sparsity quantization (arXiv:2102.10462),
  uniform quantization.
* :mod:`mlcore.robust`: quantization and adversarial loss, boundary-based retraining and the
  nonlinear input mapping (arXiv:2012.14965), on the attacks of :mod:`mlcore.attacks`.
* :mod:`mlcore.registry`, :mod:`mlcore.runner`, :mod:`mlcore.records`: every result declares
  itself once (:mod:`mlcore.experiments`); the runner runs it over seeds on a device and writes
  its typed run record (``python -m mlcore list``, ``python -m mlcore <result> --help``).
"""

__version__ = "0.1.0"

__all__ = ["demo"]


def demo(out_dir) -> None:
    """Every registered result's figures and headline numbers (see :mod:`mlcore.demo`)."""
    from .demo import demo as _demo

    _demo(out_dir)
