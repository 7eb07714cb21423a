"""`taochain yuma replay`: run the Yuma epoch on a JSON case outside any chain (spec/yuma-io.md).

The case is a JSON object; its `input` member if present, else the object itself, is either
`{"state": STATE}` (one epoch) or `{"scenario": {"base": STATE, "epochs": [OVERRIDES, ...]}}`
(several epochs of one subnet, bonds and validator permits carried between them). The output is a
JSON list with one object per epoch. A case that breaks the schema is refused with a message naming
the field, exit status 2.

Run it as `python -m taochain.yuma_cli replay CASE.json` until it is wired into the main CLI.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from runtime.yuma.backend import BACKEND_NAMES, get_backend, run_epochs
from runtime.yuma.types import EpochInput, EpochInputError, EpochOutput, EpochParams

app = typer.Typer(no_args_is_help=True, help="Yuma consensus tools: replay an epoch from a JSON case.")

EXIT_BAD_CASE = 2

# key -> (kind, default); kinds: int, bool, opt_int, int_list, bool_list, opt_int_list, rows
_REQUIRED = object()
_KINDS = {"int": "int", "bool": "bool", "int | None": "opt_int"}


def _state_keys() -> dict[str, tuple[str, Any]]:
    """The per-uid inputs, then the scalars as EpochParams declares them (its defaults are
    subtensor's), with the activity cutoff derived from its factor unless given."""
    keys: dict[str, tuple[str, Any]] = {
        "n": ("int", _REQUIRED), "current_block": ("int", _REQUIRED), "stake": ("int_list", _REQUIRED),
        "weights": ("rows", _REQUIRED), "bonds": ("rows", None), "last_update": ("int_list", _REQUIRED),
        "block_at_registration": ("int_list", _REQUIRED), "validator_permit": ("bool_list", _REQUIRED),
    }
    for f in dataclasses.fields(EpochParams):
        if f.name not in keys:
            keys[f.name] = (_KINDS[f.type], f.default)
    keys["activity_cutoff"] = ("int", None)
    keys["activity_cutoff_factor_milli"] = ("int", 13_889)
    keys["commit_blocks"] = ("opt_int_list", None)
    return keys


STATE_KEYS: dict[str, tuple[str, Any]] = _state_keys()


class CaseError(ValueError):
    """A case file that does not follow spec/yuma-io.md; the message names the field."""


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_value(where: str, kind: str, v: Any) -> Any:
    if kind == "int":
        if not _is_int(v):
            raise CaseError(f"{where}: expected an integer, got {json.dumps(v)[:40]}")
        return v
    if kind == "bool":
        if not isinstance(v, bool):
            raise CaseError(f"{where}: expected true or false, got {json.dumps(v)[:40]}")
        return v
    if kind == "opt_int":
        if v is not None and not _is_int(v):
            raise CaseError(f"{where}: expected an integer or null, got {json.dumps(v)[:40]}")
        return v
    if not isinstance(v, list):
        raise CaseError(f"{where}: expected a list, got {json.dumps(v)[:40]}")
    if kind == "int_list":
        for i, x in enumerate(v):
            _check_value(f"{where}[{i}]", "int", x)
        return tuple(v)
    if kind == "bool_list":
        for i, x in enumerate(v):
            _check_value(f"{where}[{i}]", "bool", x)
        return tuple(v)
    if kind == "opt_int_list":
        for i, x in enumerate(v):
            _check_value(f"{where}[{i}]", "opt_int", x)
        return tuple(v)
    rows = []
    for i, row in enumerate(v):
        if not isinstance(row, list):
            raise CaseError(f"{where}[{i}]: expected a row (list of [uid, u16]), got {json.dumps(row)[:40]}")
        entries = []
        for k, e in enumerate(row):
            if not (isinstance(e, list) and len(e) == 2 and _is_int(e[0]) and _is_int(e[1])):
                raise CaseError(f"{where}[{i}][{k}]: expected [uid, u16], got {json.dumps(e)[:40]}")
            entries.append((e[0], e[1]))
        rows.append(tuple(entries))
    return tuple(rows)


def compute_state(state: Any, where: str = "state") -> dict[str, Any]:
    """Validate a STATE object (or an overrides object) against the schema; returns checked values."""
    if not isinstance(state, dict):
        raise CaseError(f"{where}: expected a JSON object")
    out: dict[str, Any] = {}
    for key, v in state.items():
        if key not in STATE_KEYS:
            raise CaseError(f"{where}.{key}: unknown key (see spec/yuma-io.md for the STATE keys)")
        out[key] = _check_value(f"{where}.{key}", STATE_KEYS[key][0], v)
    return out


def compute_epoch_input(state: dict[str, Any], where: str = "state") -> EpochInput:
    """Turn a checked STATE into an EpochInput, filling subtensor's defaults."""
    values: dict[str, Any] = {}
    for key, (_, default) in STATE_KEYS.items():
        if key in state:
            values[key] = state[key]
        elif default is _REQUIRED:
            raise CaseError(f"{where}.{key}: required key is missing")
        else:
            values[key] = default
    factor = values.pop("activity_cutoff_factor_milli")
    if values["activity_cutoff"] is None:
        values["activity_cutoff"] = max(1, factor * values["tempo"] // 1000)
    values["bonds"] = values["bonds"] if values["bonds"] is not None else ()
    values["commit_blocks"] = values["commit_blocks"] if values["commit_blocks"] is not None else ()
    try:
        return EpochInput(**values)
    except EpochInputError as exc:
        raise CaseError(f"{where}: {exc}") from exc


def compute_case_epochs(case: Any) -> tuple[list[EpochInput], bool]:
    """Parse a case; returns the first epoch's input(s) and whether it is a multi-epoch scenario.

    For a scenario the list holds every epoch's input with the *unchanged* base bonds/permits; the
    carried values are substituted by `compute_replay` as the epochs run.
    """
    if not isinstance(case, dict):
        raise CaseError("case: expected a JSON object")
    root = case.get("input", case)
    where = "input" if "input" in case else "case"
    if not isinstance(root, dict):
        raise CaseError(f"{where}: expected a JSON object")
    if "state" in root:
        return [compute_epoch_input(compute_state(root["state"], f"{where}.state"), f"{where}.state")], False
    if "scenario" in root:
        sc = root["scenario"]
        if not isinstance(sc, dict) or "base" not in sc or "epochs" not in sc:
            raise CaseError(f"{where}.scenario: expected an object with 'base' and 'epochs'")
        if not isinstance(sc["epochs"], list):
            raise CaseError(f"{where}.scenario.epochs: expected a list of override objects")
        running = compute_state(sc["base"], f"{where}.scenario.base")
        inputs = []
        for k, over in enumerate(sc["epochs"]):
            running = {**running, **compute_state(over, f"{where}.scenario.epochs[{k}]")}
            inputs.append(compute_epoch_input(running, f"{where}.scenario.epochs[{k}]"))
        return inputs, True
    if "n" in root:  # a bare STATE (as each epoch's `input` in vectors/yuma_rust_tests.json)
        return [compute_epoch_input(compute_state(root, where), where)], False
    raise CaseError(f"{where}: expected a 'state' or a 'scenario' member, or a bare state with 'n'")


def compute_output_json(out: EpochOutput) -> dict[str, Any]:
    return {
        "active": list(out.active),
        "new_validator_permit": list(out.new_validator_permit),
        "stake_weight_u16": list(out.stake_weight),
        "consensus_u16": list(out.consensus),
        "incentive_u16": list(out.incentive),
        "dividends_u16": list(out.dividends),
        "validator_trust_u16": list(out.validator_trust),
        "server_emission": list(out.server_emission),
        "validator_emission": list(out.validator_emission),
        "emission": list(out.emission),
        "bonds_u16": [[[j, v] for j, v in sorted(row)] for row in out.bonds],
    }


def compute_replay(case: Any, backend: str = "auto") -> list[EpochOutput]:
    """Run every epoch of a case; scenario epochs carry bonds and permits forward."""
    inputs, scenario = compute_case_epochs(case)
    if not scenario:
        return run_epochs(inputs, backend=backend)
    outputs: list[EpochOutput] = []
    carried: EpochOutput | None = None
    for inp in inputs:
        if carried is not None:
            try:
                inp = replace(inp, bonds=carried.bonds, validator_permit=carried.new_validator_permit)
            except EpochInputError as exc:
                raise CaseError(f"scenario: carried state does not fit the next epoch: {exc}") from exc
        carried = run_epochs([inp], backend=backend)[0]
        outputs.append(carried)
    return outputs


@app.command()
def replay(
    case_file: Annotated[Path, typer.Argument(metavar="CASE.json", help="case file (spec/yuma-io.md)")],
    backend: Annotated[str, typer.Option(help="auto | numpy | cupy | reference")] = "auto",
    out: Annotated[Path | None, typer.Option("--out", help="write the JSON here instead of stdout")] = None,
) -> None:
    """Run the Yuma epoch(s) of CASE.json and print one JSON object per epoch."""
    if backend not in BACKEND_NAMES:
        typer.echo(f"error: unknown backend {backend!r}; choose one of {', '.join(BACKEND_NAMES)}", err=True)
        raise typer.Exit(EXIT_BAD_CASE)
    try:
        get_backend(backend)
    except RuntimeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    try:
        text = case_file.read_text()
    except OSError as exc:
        typer.echo(f"error: cannot read {case_file}: {exc.strerror}", err=True)
        raise typer.Exit(EXIT_BAD_CASE) from exc
    try:
        case = json.loads(text)
    except json.JSONDecodeError as exc:
        typer.echo(f"error: {case_file} is not valid JSON: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_CASE) from exc
    try:
        outputs = compute_replay(case, backend=backend)
    except CaseError as exc:
        typer.echo(f"error: bad case file {case_file}: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_CASE) from exc
    text_out = json.dumps([compute_output_json(o) for o in outputs], indent=1)
    if out is None:
        typer.echo(text_out)
    else:
        out.write_text(text_out + "\n")


@app.callback()
def _main() -> None:
    """Yuma consensus tools."""


if __name__ == "__main__":
    app()
