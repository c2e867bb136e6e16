"""mlcore: network and security results. Never imports :mod:`physcore`.

Data, models and training

* :mod:`mlcore.data`: image data sets as arrays (MNIST subset, digits, MNIST, CIFAR-10).
* :mod:`mlcore.partition`: partitions of a labelled data set among clients (IID, Dirichlet
  label skew, shards).
* :mod:`mlcore.models`: LeNet-5, ResNet-20, DLG's sigmoid LeNet, Inverting Gradients' ConvNet.
* :mod:`mlcore.training`: training / evaluation loops with explicit randomness, on any device.
* :mod:`mlcore.rng`: one root seed per run, named child seed streams (``SeedStreams``).
* :mod:`mlcore.params`: parameters dataclasses with declared constraints, help and units.
* :mod:`mlcore.device`: the device choice (``auto``, ``cpu``, ``cuda``, ``cuda:N``).

Methods

* :mod:`mlcore.quantization`: BSQ bit-level sparsity quantization (arXiv:2102.10462),
  uniform quantization.
* :mod:`mlcore.attacks`: evasion attacks under an explicit threat model (FGSM, PGD with BPDA,
  transfer, Square), wrapping the Adversarial Robustness Toolbox; gradient inversion (DLG,
  Inverting Gradients, the adaptive attack, iDLG labels).
* :mod:`mlcore.privacy`: defenses of shared gradients (Soteria, arXiv:2012.06043; gradient
  pruning; differential privacy through Opacus) and reconstruction metrics.
* :mod:`mlcore.poisoning`: coded subset aggregation with a certified vote, BadNets, and
  attacker localization (arXiv:2101.08177).
* :mod:`mlcore.robust`: quantization and adversarial loss, boundary-based retraining and the
  nonlinear input mapping (arXiv:2012.14965).
* :mod:`mlcore.federated`: FedAvg as a solver (``start`` / ``step`` / ``run``), client-update
  transforms, server aggregation rules, a Flower adapter.

Results

* :mod:`mlcore.registry`: every result declares itself once (one module of
  :mod:`mlcore.experiments`: ``bsq``, ``boundary``, ``soteria``, ``coded_aggregation``).
* :mod:`mlcore.runner`: runs a result over seeds on a device (seed streams, resumable steps,
  stage timing) and writes its record (``python -m mlcore list``,
  ``python -m mlcore <result> --help``).
* :mod:`mlcore.records`: typed run records (parameters, per-seed metrics, derived seeds,
  versions), their JSON round trip and where they live.
"""

__version__ = "0.1.0"

# Nothing is re-exported here: ``mlcore.demo`` is the demo module (its ``demo(out_dir)`` draws
# every registered result). A function of the same name here was shadowed by the submodule
# once imported, so ``mlcore.demo(out)`` failed on its second call.
__all__: list[str] = []
