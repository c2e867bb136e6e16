"""
mlcore: a dynamic-topology run from a tiny configuration
========================================================

Every mlcore result is declared in a registry and run by one runner (seeds, child random
streams, checkpoints, a typed run record). This runs the dynamic-topology reproduction of
arXiv:2103.09891 on scikit-learn's 8x8 digits with a tiny network and one seed, then draws the
record's figures; ``python -m mlcore dynamic`` runs the full one.
"""

import tempfile

import matplotlib.image as mpimg
import matplotlib.pyplot as plt

from mlcore.runner import run_result

out = tempfile.mkdtemp()
record = run_result(
    "dynamic",
    dict(datasets=("digits",), widths=(4, 8, 8, 8), epochs=2, truth_images=100, selector_epochs=1),
    seeds=[0],
    threads=1,
    out_dir=out,
    progress=False,
)
print(record.result, "seeds", list(record.seeds))
from mlcore.experiments.dynamic import summary  # noqa: E402

print(summary(record))

fig, ax = plt.subplots(figsize=(10, 3.8))
ax.imshow(mpimg.imread(f"{out}/dynamic_accuracy.png"))
ax.axis("off")
