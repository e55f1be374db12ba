#!/usr/bin/env bash
# Install LiteLLM and its proxy, the peer the benchmarks measure against, into bench/.litellm-venv
# (gitignored; about 1 GB, so it stays out of the project's .venv and out of CI).
#
# `pip install 'litellm[proxy]'` does not resolve: the extra pins litellm-proxy, litellm-proxy-extras
# and litellm-enterprise versions the registry lacks. The proxy code ships inside the litellm wheel
# anyway, so this installs litellm, then the proxy extra's other requirements as litellm's own
# metadata lists them, without litellm-proxy and with the extras/enterprise pins dropped.
#   bash bench/setup_litellm.sh            # LITELLM_VERSION=1.110.2 by default
set -euo pipefail
cd "$(dirname "$0")"
version="${LITELLM_VERSION:-1.110.2}"
venv=.litellm-venv
python3 -m venv "$venv"
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
"${pip[@]}" "litellm==$version"
"$venv/bin/python" - > "$venv/proxy-requirements.txt" <<'PY'
import importlib.metadata as metadata
import re

from packaging.requirements import Requirement

for line in metadata.requires("litellm") or []:
    req = Requirement(line)
    if req.marker is None or not req.marker.evaluate({"extra": "proxy"}):
        continue
    if req.name == "litellm-proxy":
        continue  # the proxy is in the litellm wheel itself
    if req.name in ("litellm-proxy-extras", "litellm-enterprise"):
        print(req.name)  # unpinned: the pinned versions are not published
        continue
    print(re.sub(r"\s*;.*$", "", line))
PY
"${pip[@]}" -r "$venv/proxy-requirements.txt"
"$venv/bin/python" -c "import litellm.proxy.proxy_server" >/dev/null 2>&1 \
  || LITELLM_LOCAL_MODEL_COST_MAP=True "$venv/bin/python" -c "import litellm.proxy.proxy_server"
echo "LiteLLM $version with its proxy: $PWD/$venv/bin/litellm"
