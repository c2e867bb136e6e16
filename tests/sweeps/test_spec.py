"""Bad sweep specs fail at plan, with a message naming the field, before anything is written."""

import textwrap
from pathlib import Path

import numpy as np
import pytest

from physcore import sweeps
from physcore.sweeps import SpecError, parse_spec

GOOD = """
computation = "semidirac.conductance"
name = "test"
[parameters]
mu = 10.0
gap = 1.0
barrier = "thin"
chi = {linspace = [0.0, 3.0, 7]}
U0 = [0.0, 5.0]
bias = {linspace = [0.0, 2.0, 11]}
[chunks]
size = 3
[slurm]
time = "00:05:00"
max_concurrent = 2
"""


def _spec(text):
    return parse_spec(textwrap.dedent(text))


def test_good_spec_grid_and_chunks():
    spec = _spec(GOOD)
    assert list(spec.swept) == ["chi", "U0"]  # spec order
    assert spec.shape == (7, 2)
    assert spec.n_points == 7 * 2 * 11
    assert spec.n_chunks == 5  # 14 points in chunks of 3
    covered = [i for c in range(spec.n_chunks) for i in spec.chunk_indices(c)]
    assert covered == list(range(14))  # every point once, in order
    point = spec.point(3)  # C order: chi index 1, U0 index 1
    assert point["chi"] == 0.5 and point["U0"] == 5.0 and point["mu"] == 10.0
    np.testing.assert_array_equal(point["bias"], np.linspace(0.0, 2.0, 11))
    assert point["temperature"] == 0.0  # default filled in


@pytest.mark.parametrize(
    "old, new, field",
    [
        (
            'computation = "semidirac.conductance"',
            'computation = "semidirac.nothing"',
            "computation",
        ),
        ("mu = 10.0", 'mu = "ten"', "parameters.mu"),
        ("mu = 10.0", "mu = true", "parameters.mu"),
        ("mu = 10.0", "", "parameters.mu"),  # required
        ("mu = 10.0", "mu = 10.0\nmuu = 1.0", "parameters.muu"),  # unknown
        ("U0 = [0.0, 5.0]", "U0 = []", "parameters.U0"),  # empty grid
        ("chi = {linspace = [0.0, 3.0, 7]}", "chi = {linspace = [0.0, 3.0, 0]}", "parameters.chi"),
        ("chi = {linspace = [0.0, 3.0, 7]}", "chi = {linspace = [0.0, 3.0]}", "parameters.chi"),
        ("chi = {linspace = [0.0, 3.0, 7]}", "chi = {arange = [0, 1, 2]}", "parameters.chi"),
        ("chi = {linspace = [0.0, 3.0, 7]}", "chi = [0.0, -1.0]", "parameters.chi"),  # range
        ("gap = 1.0", "gap = [1.0, -0.5]", "parameters.gap"),  # out of range, swept
        ("U0 = [0.0, 5.0]", "U0 = [0.0, -20.0]", "parameters.U0"),  # mu + U0 <= 0
        ('barrier = "thin"', 'barrier = "thick"', "parameters.barrier"),
        ("bias = {linspace = [0.0, 2.0, 11]}", 'bias = ["a"]', "parameters.bias"),
        ("gap = 1.0", "gap = 1.0\ntemperature = -0.1", "parameters.temperature"),
        ("[parameters]", 'orientation = "diagonal"\n[parameters]', "orientation"),
        ("mu = 10.0", 'mu = 10.0\norientation = "diagonal"', "parameters.orientation"),
        ("size = 3", "size = 0", "chunks.size"),
        ("size = 3", "size = 2.5", "chunks.size"),
        ('time = "00:05:00"', 'time = "five minutes"', "slurm.time"),
        ("max_concurrent = 2", "max_concurrent = 0", "slurm.max_concurrent"),
        ("max_concurrent = 2", 'nodes = "4"', "slurm.nodes"),
        ('name = "test"', 'name = "a b/c"', "name"),
        # set where it changes nothing: every row of the result would be the same
        ('barrier = "thin"', 'barrier = "none"', "parameters.chi"),
        ("mu = 10.0", "mu = 10.0\nZ = [0.5, 1.0]", "parameters.Z"),
        ("mu = 10.0", 'mu = 10.0\nmodel = "graphene"\norientation = [0.0, 45.0]', "orientation"),
        ("mu = 10.0", 'mu = 10.0\nmodel = "parabolic"\nvelocity = 2.0', "parameters.velocity"),
        # sizes a sweep cannot hold fail at once, not with a memory error
        ("bias = {linspace = [0.0, 2.0, 11]}", "bias = {logspace = [0, 1, 2000000000]}", "bias"),
    ],
)
def test_bad_spec_names_the_field(old, new, field):
    assert old in GOOD
    with pytest.raises(SpecError) as info:
        _spec(GOOD.replace(old, new, 1))
    assert str(info.value).startswith(field) or f"{field}:" in str(info.value), str(info.value)


def test_ineffective_swept_parameter_names_what_it_needs():
    text = GOOD.replace('barrier = "thin"\n', "").replace(
        "chi = {linspace = [0.0, 3.0, 7]}", "chi = [0.5, 1.0]"
    )
    with pytest.raises(SpecError) as info:
        _spec(text)
    message = str(info.value)
    assert message.startswith("parameters.chi: swept but it has no effect unless barrier is")
    assert "'thin'" in message and "barrier = 'none'" in message, message
    # a parameter that acts on part of the grid is a legitimate product: accepted
    spec = _spec(text.replace("chi = [0.5, 1.0]", 'chi = [0.5, 1.0]\nbarrier = ["none", "thin"]'))
    assert spec.shape == (2, 2, 2)


def test_grid_size_limits_fail_fast_with_the_limit():
    from physcore.sweeps.spec import MAX_GRID_POINTS, MAX_VALUES_PER_PARAMETER

    huge = GOOD.replace("{linspace = [0.0, 2.0, 11]}", "{linspace = [0.0, 2.0, 2000000000]}")
    with pytest.raises(SpecError, match=rf"parameters\.bias: linspace num = 2000000000 .*"
                       rf"\[1, {MAX_VALUES_PER_PARAMETER}\]"):  # fmt: skip
        _spec(huge)
    # each axis within the limit, the product beyond it
    big = GOOD.replace("chi = {linspace = [0.0, 3.0, 7]}", "chi = {linspace = [0.0, 3.0, 20000]}")
    big = big.replace("{linspace = [0.0, 2.0, 11]}", "{linspace = [0.0, 2.0, 5000]}")
    with pytest.raises(SpecError, match=rf"more than {MAX_GRID_POINTS} points"):
        _spec(big)


def test_grid_check_shows_progress(capsys):
    text = GOOD.replace("chi = {linspace = [0.0, 3.0, 7]}", "chi = {linspace = [0.0, 3.0, 40000]}")
    text = text.replace("size = 3", "size = 100")
    spec = _spec(text)  # 8e4 points: about two seconds of checks, shown as they go
    assert spec.n_outer == 80_000
    err = capsys.readouterr().err
    assert "checking the grid points" in err and "80000/80000" in err, err[-500:]


def test_out_of_range_point_is_reported_with_its_grid_position():
    with pytest.raises(SpecError, match=r"parameters\.gap: gap must be .*>= 0.*'gap': -0\.5"):
        _spec(GOOD.replace("gap = 1.0", "gap = [1.0, -0.5]"))


def test_too_many_chunks_for_a_slurm_array():
    text = GOOD.replace("size = 3", "size = 1").replace("max_concurrent = 2", "max_array_size = 10")
    with pytest.raises(SpecError, match=r"chunks\.size: 14 chunks exceed .* at least 2"):
        _spec(text)


def test_plan_writes_nothing_for_a_bad_spec(tmp_path):
    spec_file = tmp_path / "bad.toml"
    spec_file.write_text(GOOD.replace("gap = 1.0", "gap = -1.0"))
    with pytest.raises(SpecError, match="parameters.gap"):
        sweeps.plan(spec_file, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_plan_writes_the_array_script_with_the_spec_resources(tmp_path):
    spec_file = tmp_path / "good.toml"
    spec_file.write_text(GOOD)
    sweep = sweeps.plan(spec_file, tmp_path / "run")
    script = (tmp_path / "run" / "sweep.sbatch").read_text()
    assert "#SBATCH --array=0-4%2" in script  # 5 chunks, at most 2 at once
    assert "#SBATCH --time=00:05:00" in script
    assert "run-chunk" in script and '"$SLURM_ARRAY_TASK_ID"' in script
    assert sweeps.status(sweep, query_slurm=False).missing == (0, 1, 2, 3, 4)
    # planning again with the same spec is harmless; another spec in the same place is refused
    sweeps.plan(spec_file, tmp_path / "run")
    spec_file.write_text(GOOD.replace("size = 3", "size = 4"))
    with pytest.raises(ValueError, match="another spec"):
        sweeps.plan(spec_file, tmp_path / "run")


def test_cli_bad_spec_exits_2_naming_the_field(tmp_path, capsys):
    from physcore.sweeps.cli import main

    spec_file = tmp_path / "bad.toml"
    spec_file.write_text(GOOD.replace("U0 = [0.0, 5.0]", "U0 = []"))
    assert main(["plan", str(spec_file), "--dir", str(tmp_path / "run")]) == 2
    assert "parameters.U0: empty grid" in capsys.readouterr().err


def test_importing_sweeps_imports_no_physics():
    import subprocess
    import sys

    code = (
        "import sys, physcore.sweeps; "
        "print(sorted(m for m in sys.modules if m.startswith(('physcore.semidirac', "
        "'physcore.collision', 'numba', 'kwant', 'qutip'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "path",
    sorted((Path(__file__).resolve().parents[2] / "sweeps").glob("*.toml")),
    ids=lambda p: p.name,
)
def test_example_specs_plan(path, tmp_path):
    sweep = sweeps.plan(path, tmp_path / "run")
    assert sweep.spec.n_points > 0 and (tmp_path / "run" / "sweep.sbatch").is_file()
