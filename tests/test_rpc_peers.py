"""vscode-jsonrpc (npm), the library VS Code extensions speak, against a real `openllm-bridge
serve`: Content-Length framing, error codes, and a CancellationToken's `$/cancelRequest`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from bridge_process import serve

PEERS = Path(__file__).resolve().parent / "rpc_peers"


def test_a_vscode_jsonrpc_client(cli_env: dict[str, str], tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None and (PEERS / "node_modules" / "vscode-jsonrpc").is_dir(), "run `bash scripts/setup.sh`"
    with serve(cli_env, tmp_path) as bridge:
        result = subprocess.run([node, str(PEERS / "vscode_client.js"), bridge.socket], capture_output=True,
                                text=True, timeout=60, check=False)  # fmt: skip
        log = bridge.log()
    assert result.returncode == 0, result.stderr
    steps = {line["step"]: line for line in map(json.loads, result.stdout.splitlines())}
    assert steps["models"]["ids"][:2] == ["echo", "think"]
    assert steps["unknown"]["code"] == -32601
    assert steps["invalid"] == {"step": "invalid", "code": -32602,
                                "message": "invalid params at /: 'provider' is a required property"}  # fmt: skip
    cancel = steps["cancel"]
    assert (cancel["code"], cancel["message"]) == (-32800, "the request was cancelled") and cancel["chunks"] < 10
    assert "the client cancelled request" in log
    assert steps["echo"]["result"] == {
        "message": {"role": "assistant", "content": "You said: héllo ☃ 𝄞"},
        "finish_reason": "stop",
        "usage": {"input_tokens": 3, "output_tokens": 5},
    }
