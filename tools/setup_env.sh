#!/usr/bin/env bash
# Create (or refresh) the virtual environment at .venv with every extra installed.
#
# kwant 1.5.0 is published only as a source distribution whose pre-generated C files do not
# compile against numpy 2. We build its wheel once with Cython 3 regenerating them
# (`setup.py --cython`, numpy and tinyarray installed first, no build isolation) and keep it in
# build/wheels, from where pip satisfies the `kwant==1.5.0` requirement of the physics extra.
# MUMPS (Debian's libmumps-seq-dev) is installed when we are root with apt-get; otherwise kwant
# falls back to SciPy's sparse solver.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
WHEELS=build/wheels
FIND_LINKS=()
[ -d /opt/wheels ] && FIND_LINKS=(--find-links /opt/wheels)   # local CPU torch wheel

if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating $VENV"
    "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q -U pip setuptools wheel

if ! ls "$WHEELS"/kwant-1.5.0-*.whl >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
        && ! dpkg -s libmumps-seq-dev >/dev/null 2>&1; then
        echo "[setup] installing MUMPS (libmumps-seq-dev) for kwant"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmumps-seq-dev) \
            >/dev/null 2>&1 || echo "[setup] MUMPS not available; kwant will use SciPy's solver"
    fi
    echo "[setup] building kwant 1.5.0 with Cython 3 (about a minute)"
    "${PIP[@]}" install -q "numpy>=2" scipy tinyarray "cython>=3" setuptools wheel
    tmp=$(mktemp -d)
    "${PIP[@]}" download -q --no-deps --no-binary :all: kwant==1.5.0 -d "$tmp"
    tar -xzf "$tmp"/kwant-1.5.0.tar.gz -C "$tmp"
    mkdir -p "$WHEELS"
    (cd "$tmp/kwant-1.5.0" && "$OLDPWD/$VENV/bin/python" setup.py --cython bdist_wheel \
        -d "$OLDPWD/$WHEELS" >"$tmp/build.log" 2>&1) \
        || { tail -30 "$tmp/build.log"; echo "[setup] kwant build failed"; exit 1; }
    rm -rf "$tmp"
fi

echo "[setup] installing the project with extras physics, ml, dev, docs"
"${PIP[@]}" install -q "${FIND_LINKS[@]}" --find-links "$WHEELS" -e ".[all]"
