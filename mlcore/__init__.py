"""mlcore: network and security results. Never imports :mod:`physcore`.

* :mod:`mlcore.data`: image data sets as arrays (MNIST subset, digits, MNIST, CIFAR-10).
* :mod:`mlcore.models`: LeNet-5, ResNet-20.
* :mod:`mlcore.training`: seeded training / evaluation loops, provenance.
* :mod:`mlcore.quantization`: BSQ bit-level sparsity quantization (arXiv:2102.10462),
  uniform quantization.
* :mod:`mlcore.robust`: quantization and adversarial loss, boundary-based retraining and the
  nonlinear input mapping (arXiv:2012.14965); attacks from the Adversarial Robustness Toolbox.
* :mod:`mlcore.experiments`: the reduced-scale reproductions (``python -m mlcore bsq|boundary``).
"""

__version__ = "0.1.0"

__all__ = ["demo"]


def demo(out_dir) -> None:
    """Headline figures from the stored run records (see :mod:`mlcore.demo`)."""
    from .demo import demo as _demo

    _demo(out_dir)
