# Sourced by the other scripts: make .venv exist and hold this project, installed editable
# with its dev extras. Reinstalls only when pyproject.toml changed, so repeat runs are fast.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${RECONCILER_VENV:-$root/.venv}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: reconciler needs Python >= 3.11; '$python' is $("$python" --version 2>&1)" >&2
    exit 2
fi
if [ ! -x "$venv/bin/python" ]; then
    echo ">> creating virtualenv $venv" >&2
    "$python" -m venv "$venv"
fi
stamp="$venv/.reconciler-installed"
want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo ">> installing reconciler[dev] into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[dev]" >&2
    echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
cd "$root"
