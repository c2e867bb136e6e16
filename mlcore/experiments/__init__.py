"""The registered results: one module (or package) per result, each declaring one
:class:`mlcore.registry.Result` when imported. :func:`mlcore.registry.discover` imports every
module here whose name does not start with ``_``, so adding a result is adding a module.

* ``bsq``: BSQ alpha sweep against uniform quantization (arXiv:2102.10462).
* ``boundary``: boundary-based retraining and the nonlinear mapping (arXiv:2012.14965).

Run one with ``python -m mlcore <name>`` or :func:`mlcore.runner.run_result`.
"""
