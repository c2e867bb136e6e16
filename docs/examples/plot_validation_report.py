"""
Reading a validation report
===========================

Every published reference lives in :mod:`validation.references` with its source, and every
check measures one distance between our result and it. ``python -m validation report`` runs
them and writes ``index.html`` and ``report.json``; here the fast checks of the collision-model
paper (arXiv:2012.12364) and of the dynamic-topology paper (arXiv:2103.09891, read from its
committed run record) run in a temporary folder, and the JSON is read back and plotted.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

out = Path(tempfile.mkdtemp())
subprocess.run(
    [sys.executable, "-m", "validation", "report", "--fast", "--paper", "2012.12364",
     "--paper", "2103.09891", "--out", str(out), "--no-progress"],
    check=True,
)  # fmt: skip
report = json.loads((out / "report.json").read_text())
print(report["summary"])

# each check: its measured distance against its tolerance (a documented disagreement is a
# check we keep, listed as DISAGREES instead of hidden)
checks = report["checks"]
colors = {"PASS": "C2", "DISAGREES": "C1", "FAIL": "C3"}
fig, ax = plt.subplots(figsize=(7, 0.35 * len(checks) + 1.2))
for i, c in enumerate(checks):
    ratio = c["measured"] / c["tolerance"] if c["tolerance"] > 0 else float(c["measured"] > 0)
    ax.barh(i, ratio, color=colors.get(c["status"], "0.5"))
    ax.text(0, i, f" {c['status']}", va="center", fontsize=7)
ax.axvline(1.0, color="k", ls=":", lw=0.8)
ax.set_yticks(range(len(checks)), [c["check"] for c in checks], fontsize=7)
ax.set_xlabel("measured / tolerance (pass at or below 1; a zero tolerance: 0 pass, 1 otherwise)")
fig.tight_layout()
