"""physcore: semi-Dirac BdG scattering (``physcore.semidirac``) and the two-bath collision model
(``physcore.collision``). Never imports :mod:`mlcore`."""

__version__ = "0.1.0"
