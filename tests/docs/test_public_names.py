"""A public name of a package never shares its name with one of the package's submodules:
importing the submodule would replace the name on the package (``import
mlcore.poisoning.certify`` used to turn ``mlcore.poisoning.certify`` from the function into
the module)."""

import importlib
import inspect
import pkgutil

import pytest


def _packages(top):
    package = importlib.import_module(top)
    yield package
    for info in pkgutil.walk_packages(package.__path__, top + "."):
        if info.ispkg:
            yield importlib.import_module(info.name)


@pytest.mark.parametrize("top", ["physcore", "mlcore", "validation"])
def test_no_public_name_is_also_a_submodule(top):
    clashes = []
    for package in _packages(top):
        submodules = {info.name for info in pkgutil.iter_modules(package.__path__)}
        for name in getattr(package, "__all__", ()):
            if name in submodules and not inspect.ismodule(getattr(package, name)):
                clashes.append(f"{package.__name__}.{name}")
    assert clashes == []


def test_renamed_modules_keep_the_functions_on_the_package():
    import mlcore.poisoning.certification
    import mlcore.privacy.layer
    from mlcore import poisoning, privacy

    assert poisoning.certify is mlcore.poisoning.certification.certify
    assert privacy.representation is mlcore.privacy.layer.representation
    assert callable(poisoning.certify) and callable(privacy.representation)
