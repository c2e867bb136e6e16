"""The soteria result end to end on a tiny configuration, its parameters' errors, and its
record's round trip."""

import numpy as np
import pytest

from mlcore.experiments.soteria import SoteriaParams, SoteriaRecord
from mlcore.experiments.soteria.records import decode_image, encode_image
from mlcore.registry import get, load_record
from mlcore.runner import run_result

TINY = dict(
    n_samples=200,
    pruning_rates=(50.0, 90.0),
    dlg_images=2,
    defended_images=2,
    gs_images=1,
    dlg_iterations=15,
    gs_iterations=20,
    gs_width=4,
    n_clients=2,
    clients_per_round=2,
    rounds=1,
    lenet_rounds=1,
    local_steps=1,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("soteria")
    record = run_result("soteria", TINY, seeds=(3,), device="cpu", threads=1, out_dir=out,
                        record_path=out / "record.json", progress=False)  # fmt: skip
    return record, out


@pytest.mark.slow
def test_every_setting_is_attacked_and_recorded(tiny):
    record, out = tiny
    m = record.metrics[0]
    for attack in ("dlg", "gs"):
        for defense in ("none", "dp", "noise"):
            assert m.point(attack, defense) is not None
        for rate in (50.0, 90.0):
            assert m.point(attack, "soteria", rate) is not None
            assert m.point(attack, "prune", rate) is not None
            assert m.point("gs_adaptive", "soteria", rate) is not None
    assert len(m.point("dlg", "none").images) == 2 and len(m.point("gs", "none").images) == 1
    # GS, its adaptive variant and every GS defense attack the same digit
    gs_digits = {p.images[0].index for p in m.attacks if p.attack.startswith("gs")}
    assert gs_digits == {m.point("dlg", "none").images[0].index}
    assert all(len(p.images) == 1 for p in m.attacks if p.attack.startswith("gs"))
    assert {(a.network, a.defense) for a in m.accuracy} >= {("convnet", "soteria")}
    assert all(0 <= a.accuracy <= 1 for a in m.accuracy)
    assert [b.rate for b in m.bounds] == [50.0, 90.0]
    assert all(b.lower_bound > 0 for b in m.bounds)
    assert m.dp_epsilon_per_round > 0
    again = load_record(out / "record.json", "soteria")
    assert isinstance(again, SoteriaRecord) and again.metrics == record.metrics
    names = {p.name for p in out.iterdir()}
    assert {"soteria_mse_vs_rate.png", "soteria_tradeoff.png", "soteria_reconstructions.png"} <= (
        names
    )
    assert "undefended DLG" in get("soteria").summary(record)


@pytest.mark.slow
def test_undefended_dlg_beats_the_defended_shares(tiny):
    """The same digit, the same attack: pruning 90 % of the representation's columns (Soteria)
    or adding DP noise leaves DLG far from the digit, while the undefended share leaks it."""
    m = tiny[0].metrics[0]
    undefended = m.point("dlg", "none").images[0]
    assert undefended.label_correct
    for defended in (m.point("dlg", "soteria", 90.0), m.point("dlg", "dp")):
        assert defended.images[0].mse > 10 * undefended.mse


def test_images_survive_the_record_to_8_bits():
    image = np.random.default_rng(0).random((1, 28, 28), dtype=np.float32)
    back = decode_image(encode_image(image), (1, 28, 28))
    assert np.abs(back - image).max() <= 0.5 / 255 + 1e-7


@pytest.mark.parametrize(
    "changes, named",
    [
        (dict(pruning_rates=(100.0,)), "pruning_rates"),
        (dict(pruning_rates=(-1.0,)), "pruning_rates"),
        (dict(gs_images=8, dlg_images=7), "gs_images"),
        (dict(clients_per_round=11, n_clients=10), "clients_per_round"),
        (dict(gs_width=0), "gs_width"),
    ],
)
def test_bad_parameters_name_the_field(changes, named):
    with pytest.raises(ValueError, match=named):
        SoteriaParams(**changes)
