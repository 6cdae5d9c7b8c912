"""setup.cfg lists every package of the source tree: a package left out is missing from a
wheel (a non-editable install) while an editable one still finds it."""
import configparser
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.cpu_only  # (the source tree, not a device)


def _listed():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    options = config["options"]
    packages = {line.strip() for line in options["packages"].splitlines() if line.strip()}
    dirs = dict(line.split("=") for line in options["package_dir"].splitlines() if line.strip())
    return packages, {name.strip(): path.strip() for name, path in dirs.items()}


def test_every_package_directory_is_listed():
    packages, dirs = _listed()
    found = set()
    for name, path in dirs.items():
        base = ROOT / path
        for init in base.rglob("__init__.py"):
            if "__pycache__" not in init.parts:
                relative = init.parent.relative_to(base).parts
                found.add(".".join((name,) + relative))
    assert found - packages == set(), "packages missing from setup.cfg [options] packages"
    assert packages - found == set(), "setup.cfg lists packages that do not exist"
