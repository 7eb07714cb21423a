"""README's tour, run as written against a dev node: the fenced block after `<!-- tour -->` (else the
"A subnet's life" block). Each `taochain ...` / `$T ...` line runs in-process with $TAOCHAIN_NETWORK
pointing at the node (and `--no-prompt` where the command takes it) and must exit 0."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from devnode import dev_node
from typer.testing import CliRunner

from taochain.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
PREFIXES = ("$T", "taochain", ".venv/bin/taochain")
LONG_RUNNING = {"node", "testnet", "demo", "bench"}  # the fixture is the node; the rest is not the tour


def _block_after(lines: list[str], start: int) -> list[str]:
    i = next(k for k in range(start, len(lines)) if lines[k].startswith("```"))
    j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith("```"))
    return lines[i + 1 : j]


def tour_commands(text: str) -> list[list[str]]:
    """The tour's command lines as argv lists (without the `taochain` prefix)."""
    lines = text.splitlines()
    mark = next((k for k, x in enumerate(lines) if "<!-- tour -->" in x), None)
    if mark is None:
        mark = next(k for k, x in enumerate(lines) if "A subnet's life" in x)
    body, cmds, cont = _block_after(lines, mark), [], ""
    for raw in body:
        line = cont + raw
        if line.rstrip().endswith("\\"):
            cont = line.rstrip()[:-1] + " "
            continue
        cont = ""
        argv = shlex.split(line, comments=True)
        if argv and argv[0] in PREFIXES and len(argv) > 1 and argv[1] not in LONG_RUNNING:
            cmds.append(argv[1:])
    return cmds


def _options_of(argv: list[str]) -> set[str]:
    """The option names of the command `argv` names (walking the groups)."""
    cmd = typer.main.get_command(app)
    for word in argv:
        sub = getattr(cmd, "commands", {}).get(word)
        if sub is None:
            break
        cmd = sub
    return {o for p in cmd.params for o in getattr(p, "opts", [])}


def test_the_tour_is_found() -> None:
    cmds = tour_commands(README.read_text())
    assert len(cmds) >= 5, cmds
    assert any(c[0] in ("subnet", "subnets") for c in cmds)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory):
    with dev_node(tmp_path_factory.mktemp("tour")) as (u, _proc):
        yield u


def test_the_readme_tour_runs(url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"TAOCHAIN_NETWORK": url, "TAOCHAIN_WALLET_PATH": str(tmp_path / "wallets"),
           "TAOCHAIN_WALLET_PASSWORD": "tour-password"}
    for argv in tour_commands(README.read_text()):
        opts = _options_of(argv)
        extra = []
        if "--no-prompt" in opts and "--no-prompt" not in argv:
            extra.append("--no-prompt")
        if "--network" not in opts and "--url" in opts:  # a command without --network: no env default
            extra += ["--url", url]
        args = [*argv, *extra]
        if "--commit-file" in opts:
            args += ["--commit-file", str(tmp_path / "commits.json")]
        r = runner.invoke(app, args, env=env)
        assert r.exit_code == 0, f"taochain {' '.join(args)}\n{r.output}"
        assert not re.search(r"Traceback", r.output), r.output


def sdk_example(text: str) -> str:
    """The README's Python SDK example (the first ```python block after '### Python SDK')."""
    start = text.index("### Python SDK")
    i = text.index("```python\n", start) + len("```python\n")
    return text[i : text.index("```", i)]


def test_the_readme_sdk_example_runs(url: str) -> None:
    from runtime.support.keys import keypair_from_uri
    from taochain.client import Client

    alice = keypair_from_uri("//Alice")
    with Client(url) as c:  # the example works on subnet 1, as the tour leaves it
        if c.subnet(1) is None:
            assert c.register_network(alice, keypair_from_uri("//Alice//owner").public).success
        if not c.subnet(1)["emission_started"]:
            assert c.start_call(alice, 1).success
    code = sdk_example(README.read_text())
    assert '"ws://127.0.0.1:9944"' in code
    scope: dict = {}
    exec(compile(code.replace('"ws://127.0.0.1:9944"', repr(url)), "README.md", "exec"), scope)  # noqa: S102
    assert scope["ok"] and scope["r"].success and scope["mg"].n >= 2 and scope["blk"]["events"]
