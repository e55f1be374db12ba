"""Resolve: how long finding a provider's key takes through the unified resolver
(``bridge.secrets.UnifiedSecretResolver``, the chain the engine asks before every chat), cached and
uncached, beside LiteLLM's ``get_secret`` measured the same way.

    .venv/bin/python bench/resolve.py [--quick] [--calls 2000]

Cases: the key in the environment (the first place looked); no key anywhere, so every place is
asked (environment, ``.env`` files, the system keychain: on a machine without a Secret Service
that store says so and is passed over, as it is on a headless server); and the key held by the
editor host (the reference host, clients/python-host, a separate process on a Unix socket). Uncached means the
resolver's cache is off (``cache_ttl=0``), so every call walks the chain; cached is the steady
state between the host's change notifications. Median latency per call, in µs, wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
from _common import KEY, NOT_INSTALLED, ROOT, Row, litellm_python, median, print_table

from bridge.config import FileConfigProvider, FileSettings, UnifiedConfigResolver
from bridge.host import HostClient
from bridge.host.session import host_session
from bridge.paths import dotenv_paths
from bridge.secrets import DotEnvSecretStore, EnvSecretStore, KeychainSecretStore, UnifiedSecretResolver

sys.path.insert(0, str(ROOT / "tests"))
from hosts import running_host  # the reference host as a process, as the host tests run it

LITELLM_SNIPPET = """
import json, os, statistics, time
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
from litellm.secret_managers.main import get_secret
os.environ["OPENAI_API_KEY"] = "sk-bench-0000000000000000000000"
samples = []
for _ in range({calls}):
    started = time.perf_counter(); get_secret("OPENAI_API_KEY"); samples.append(time.perf_counter() - started)
print(json.dumps(statistics.median(samples) * 1e6))
"""


def resolver(home: Path, environ: dict[str, str], cache_ttl: float) -> UnifiedSecretResolver:
    """Built the way ``SettingsAPI.from_environment`` builds it for the CLI and the server."""
    env = {**environ, "OPENLLM_HOME": str(home)}
    user = FileConfigProvider.user(env)
    config = UnifiedConfigResolver(user=user, settings=FileSettings(user))
    return UnifiedSecretResolver(env=EnvSecretStore(environ=env), dotenv=DotEnvSecretStore(dotenv_paths(env, None)),
                                 keychain=KeychainSecretStore(), settings=FileSettings(user), config=config,
                                 cache_ttl=cache_ttl)  # fmt: skip


async def latency(call: Callable[[], Awaitable[object]], calls: int) -> float:
    await call()  # warm: imports, the keychain's verdict, the cache
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return median(samples) * 1e6


async def bridge_cases(calls: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-resolve-") as tmp:
        for cached in (False, True):
            ttl = 3600.0 if cached else 0.0
            hit = resolver(Path(tmp), {"OPENAI_API_KEY": KEY}, ttl)
            out[f"env hit, {'cached' if cached else 'uncached'}"] = await latency(lambda r=hit: r.resolve("openai"),
                                                                                  calls)  # fmt: skip
            miss = resolver(Path(tmp), {}, ttl)
            out[f"miss (every store asked), {'cached' if cached else 'uncached'}"] = await latency(
                lambda r=miss: r.resolve("openai"), calls
            )
    return out


async def host_cases(calls: int) -> dict[str, float]:
    """The key in a running reference host (clients/python-host), nothing in the environment: the
    resolver asks the environment, then the host over its socket. Uncached is what follows a
    ``notifications/secretChanged`` (the cache dropped), cached the steady state."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-host-") as tmp:
        state = {"secrets": {"openllm.openai.apiKey": KEY}, "config": {"user": {}, "workspace": {}}, "settings": {}}
        with running_host("python", Path(tmp), state) as host:
            client = HostClient(host.socket, host.token, timeout=5.0)
            env = {"OPENLLM_HOME": tmp}
            async with host_session(client, environ=env, keychain=KeychainSecretStore()) as session:
                secrets = session.api.secrets

                async def uncached() -> object:
                    secrets.invalidate()
                    return await secrets.resolve("openai")

                found = await secrets.resolve("openai")
                if found is None or found.source != "host":
                    raise RuntimeError(f"the key was not found in the host: {found}")
                out["host hit, uncached"] = await latency(uncached, calls)
                out["host hit, cached"] = await latency(lambda: secrets.resolve("openai"), calls)
    return out


def litellm_case(calls: int) -> float | str:
    python = litellm_python()
    if python is None:
        return NOT_INSTALLED
    out = subprocess.run([str(python), "-c", LITELLM_SNIPPET.format(calls=calls)], capture_output=True, text=True,
                         timeout=300, env={"PATH": os.environ.get("PATH", "")})  # fmt: skip
    return float(json.loads(out.stdout.strip().splitlines()[-1])) if out.returncode == 0 else "failed"


def run(quick: bool = False, calls: int = 2000) -> list[Row]:
    if quick:
        calls = 20
    mine = anyio.run(bridge_cases, calls) | anyio.run(host_cases, calls)
    theirs: float | str = "not run (--quick)" if quick else litellm_case(calls)
    rows = []
    for case, value in mine.items():
        peer, met = "", None
        if case.startswith("env hit"):
            peer = f"{theirs:.1f} µs (get_secret, env)" if isinstance(theirs, float) else theirs
            met = value < theirs if isinstance(theirs, float) else None
        rows.append(Row("resolve", f"key lookup: {case}", f"{value:.1f} µs", "", peer,
                        "ahead of LiteLLM" if met is not None else "", met))  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20 calls, no LiteLLM: only checks that it runs")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    print_table(run(args.quick, args.calls))


if __name__ == "__main__":
    main()
