#!/usr/bin/env bash
# Installs the Python-side tools the tests need into venvs outside the clone, idempotently:
# a venv is rebuilt only when its requirements file changes. Source it to get the paths:
#   source scripts/tools.sh && ensure_venv test   # -> $MW_VENV_test/bin/moto_server …
set -euo pipefail

MW_TOOLS_HOME="${MODELWATCH_TOOLS_HOME:-$HOME/.cache/modelwatch/tools}"

ensure_venv() {
  local name=$1
  local req
  req="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/requirements-$name.txt"
  local dir="$MW_TOOLS_HOME/venv-$name"
  local stamp="$dir/.requirements.sha256"
  local want
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [[ ! -x "$dir/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "installing $name tools into $dir (once per requirements change) …" >&2
    rm -rf "$dir"
    mkdir -p "$MW_TOOLS_HOME"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
    echo "$want" > "$stamp"
  fi
  printf -v "MW_VENV_$name" '%s' "$dir"
  export "MW_VENV_$name"
}

# Headless Chromium for the report browser test (tests/e2e/reports_browser.rs): Debian's
# `chromium` package, installed once, non-interactively (as root, else through `sudo -n`).
ensure_chromium() {
  command -v chromium >/dev/null && return 0
  echo "installing chromium (Debian package, once) for the report browser test …" >&2
  local sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo -n"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y --no-install-recommends chromium >&2 \
    || { $sudo apt-get update >&2 && $sudo apt-get install -y --no-install-recommends chromium >&2; }
  command -v chromium >/dev/null
}
