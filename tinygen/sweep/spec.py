"""The sweep spec: a YAML file naming a model, its data, a search space, objectives and
constraint sets (README, "Design-space sweeps").

    model: examples/lowbit/float_digits.py      # a float PyTorch model file (model(), example_input()), or an
                                                # .onnx (float, QDQ or QOperator: its kernels and boards swept)
    data: examples/sweep/digits_data.py:test_set  # accuracy data: .npz (x, y) or FILE.py:FUNCTION -> (x, y)
    train: examples/sweep/digits_data.py:train_set  # fine-tuning data (only with finetune)
    search: grid                                # grid | random | tpe | nsga2
    trials: 40                                  # random / tpe / nsga2: how many points
    space:
      bits: {"0": [8], "3,6": [8, 4, 2], "*": [8]}   # weight quantizer per layer or group
      prune: {"3": [0, 0.25, 0.5]}              # fraction of output filters removed (L1 magnitude)
      kernels: [tinygen]                        # tinygen | portable | cmsis-nn | auto
      board: [f746zg, f446re]
    finetune: {epochs: 1, lr: 0.001}            # optional QAT fine-tuning per point
    objectives: [max accuracy, min instructions]
    constraints:
      - {ram: 128K, flash: 512K}
      - {flash: 64K}

Paths are relative to the spec file. Layer names are the model's module names
(`tinygen inspect` shows them as a node's source); a key "a,b" is a group that takes
one choice; "*" is every MAC layer not named elsewhere. Errors say what to change.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from tinygen.errors import UsageError

SEARCHES = ("grid", "random", "tpe", "nsga2")
METRICS = ("accuracy", "instructions", "flash", "ram", "energy_uj")
METRIC_ALIASES = {"energy": "energy_uj", "acc": "accuracy"}
KERNELS = ("tinygen", "portable", "cmsis-nn", "auto")
STORAGES = ("separate", "nested")
# weight quantizer choices: a width (8 = int8, 4 / 2 uniform, 1 binary) or KIND[:BITS]
WEIGHT_CHOICE = re.compile(r"^(int8|uniform|dorefa|binary|pow2|ternary)(?::(\d))?$")
_BOUND = re.compile(r"^\s*(<=|>=)?\s*(\d+(?:\.\d*)?)\s*(%|[kKmM]i?[bB]?)?\s*$")


@dataclass(frozen=True)
class Bound:
    metric: str
    op: str          # "<=" or ">="
    value: float

    def holds(self, row: dict) -> bool:
        v = row.get(self.metric)
        return v is not None and (v <= self.value if self.op == "<=" else v >= self.value)

    def excess(self, row: dict) -> float:
        """How far the row is from meeting the bound, relative to it (0 if met)."""
        v = row.get(self.metric)
        if v is None:
            return float("inf")
        gap = v - self.value if self.op == "<=" else self.value - v
        return max(gap, 0.0) / max(abs(self.value), 1e-12)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


@dataclass
class Spec:
    path: Path
    model: Path
    data: str
    train: str | None
    calib: str | None
    search: str
    trials: int | None
    seed: int
    space: dict[str, list]          # dimension name -> choices (ordered)
    finetune: dict | None
    objectives: list[tuple[str, str]]   # (metric, "max" | "min")
    constraints: list[list[Bound]]
    samples: int                    # inputs run on the stand-in per point (instructions, bit-exactness)
    real_boards: bool = False       # run on attached boards instead of their stand-ins
    raw: dict = field(default_factory=dict)

    def identity(self) -> str:
        """A hash of what a point's result depends on besides its own parameters."""
        h = hashlib.sha256()
        # the model file and its weights beside it (model.py + model.pt, as the examples keep them; an .onnx)
        for file in sorted(self.model.parent.glob(self.model.stem + ".*")):
            if file.is_file() and file.suffix in (".py", ".pt", ".pth", ".pt2", ".npz", ".onnx"):
                h.update(file.name.encode() + file.read_bytes())
        for extra in (self.data, self.train, self.calib, json.dumps(self.finetune, sort_keys=True),
                      str(self.samples), str(self.real_boards)):
            h.update(str(extra).encode())
        for ref in (self.data, self.train, self.calib):
            file = _file_part(ref)
            if file is not None and file.is_file():
                h.update(file.read_bytes())
        return h.hexdigest()[:16]


def _file_part(ref: str | None) -> Path | None:
    if not ref or ref == "random":
        return None
    return Path(ref.rpartition(":")[0] if ref.rpartition(":")[0].endswith(".py") else ref)


def parse_bound(metric: str, text) -> Bound:
    """"<= 512K", "128KiB", ">= 97%", 0.97: a bare value is a ceiling, except for accuracy."""
    m = _BOUND.match(str(text))
    if not m:
        raise UsageError(f"constraint {metric}: {text!r} is not a bound",
                         "write e.g. ram: 128K, flash: '<= 512K', accuracy: '>= 97%'")
    op = m[1] or (">=" if metric == "accuracy" else "<=")
    value = float(m[2])
    unit = (m[3] or "").lower()
    if unit == "%":
        value /= 100.0
    elif unit:
        value *= {"k": 1024, "m": 1 << 20}[unit[0]]
    return Bound(metric, op, value)


def _metric(name: str, where: str) -> str:
    name = METRIC_ALIASES.get(str(name), str(name))
    if name not in METRICS:
        raise UsageError(f"{where}: unknown metric {name!r}", f"use one of {', '.join(METRICS)}")
    return name


def _objective(text) -> tuple[str, str]:
    parts = str(text).split()
    if len(parts) != 2 or parts[0] not in ("max", "min"):
        raise UsageError(f"objective {text!r} is not 'max METRIC' or 'min METRIC'",
                         "e.g. objectives: [max accuracy, min instructions]")
    return _metric(parts[1], "objectives"), parts[0]


def weight_choice(value) -> str:
    """A bits choice in its canonical form: 8 -> int8, 4 -> uniform:4, 1 -> binary, 'pow2:4'."""
    if isinstance(value, bool):
        raise UsageError(f"bits choice {value!r} is not a width", "use 8, 4, 2, 1 or KIND:BITS, e.g. pow2:4")
    if isinstance(value, int):
        named = {8: "int8", 4: "uniform:4", 2: "uniform:2", 1: "binary"}.get(value)
        if named is None:
            raise UsageError(f"bits choice {value} is not 8, 4, 2 or 1", "powers of two up to 8, or KIND:BITS")
        return named
    m = WEIGHT_CHOICE.match(str(value).strip())
    if not m:
        raise UsageError(f"bits choice {value!r} is not a weight quantizer",
                         "use 8, 4, 2, 1 or KIND[:BITS] with KIND int8, uniform, dorefa, binary, pow2, ternary")
    return m[1] + (f":{m[2]}" if m[2] else "")


def _choices(name: str, values) -> list:
    if not isinstance(values, list):
        values = [values]
    if not values:
        raise UsageError(f"space: {name} has no choices: the search space is empty",
                         f"give at least one value for {name}")
    out = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _per_layer(kind: str, table, check) -> dict[str, list]:
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise UsageError(f"space: {kind} must map layer names (or 'a,b' groups, or '*') to choices",
                         f"e.g. {kind}: {{'3': [...]}}")
    dims = {}
    for key, values in table.items():
        dims[f"{kind}:{key}"] = [check(v) for v in _choices(f"{kind} {key!r}", values)]
    return dims


def _ratio(value) -> float:
    try:
        r = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"prune ratio {value!r} is not a number", "give fractions in [0, 1), e.g. [0, 0.25, 0.5]")
    if not 0.0 <= r < 1.0:
        raise UsageError(f"prune ratio {r} is outside [0, 1)", "give fractions of the filters, e.g. 0.25")
    return r


def _listed(name: str, values, allowed: tuple | None) -> list:
    values = _choices(name, values)
    for v in values:
        if allowed is not None and v not in allowed:
            raise UsageError(f"space: {name} {v!r} is not one of {', '.join(allowed)}")
    return values


def load_spec(path: str | Path) -> Spec:
    import yaml

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"sweep spec {str(path)!r} does not exist", "give the path of a YAML spec (README, "
                         "'Design-space sweeps')")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise UsageError(f"{path} is not valid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: the spec must be a mapping with model, data and space")
    return parse_spec(raw, path)


def parse_spec(raw: dict, path: Path) -> Spec:
    known = {"model", "data", "train", "calib", "search", "trials", "seed", "space", "finetune",
             "objectives", "constraints", "samples", "real_boards"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise UsageError(f"{path}: unknown key(s) {', '.join(unknown)}", f"the spec takes {', '.join(sorted(known))}")
    for key in ("model", "data", "space"):
        if key not in raw:
            raise UsageError(f"{path}: no {key!r} given", "a spec needs model, data and space")
    base = path.parent

    def rel(ref):
        if ref is None or ref == "random":
            return ref
        file, sep, func = str(ref).rpartition(":")
        if sep and file.endswith(".py"):
            return f"{(base / file)}:{func}"
        return str(base / str(ref))

    model = base / str(raw["model"])
    if not model.is_file():
        raise UsageError(f"{path}: model file {str(raw['model'])!r} does not exist",
                         "give a float PyTorch model file (model(), example_input()) or an .onnx (float, QDQ or "
                         "QOperator), relative to the spec")
    search = raw.get("search", "grid")
    if search not in SEARCHES:
        raise UsageError(f"search {search!r} is not one of {', '.join(SEARCHES)}")
    space_raw = raw["space"]
    if not isinstance(space_raw, dict) or not space_raw:
        raise UsageError(f"{path}: the search space is empty", "give space: with bits, prune, kernels and board")
    extra = sorted(set(space_raw) - {"bits", "prune", "kernels", "board", "storage"})
    if extra:
        raise UsageError(f"space: unknown dimension(s) {', '.join(extra)}", "use bits, prune, kernels, board, storage")
    space = {**_per_layer("bits", space_raw.get("bits"), weight_choice),
             **_per_layer("prune", space_raw.get("prune"), _ratio),
             "kernels": _listed("kernels", space_raw.get("kernels", ["tinygen"]), KERNELS),
             "board": _listed("board", space_raw.get("board", ["f746zg"]), None)}
    if "storage" in space_raw:
        space["storage"] = _listed("storage", space_raw["storage"], STORAGES)
    trials = raw.get("trials")
    if search != "grid" and not (isinstance(trials, int) and trials > 0):
        raise UsageError(f"search {search} needs trials: N (points to evaluate)", "e.g. trials: 40")
    objectives = [_objective(o) for o in raw.get("objectives", ["max accuracy", "min instructions"])]
    if not objectives:
        raise UsageError("objectives is empty", "e.g. objectives: [max accuracy, min instructions]")
    sets = raw.get("constraints", []) or []
    if isinstance(sets, dict):
        sets = [sets]
    constraints = [[parse_bound(_metric(k, "constraints"), v) for k, v in (s or {}).items()] for s in sets]
    finetune = raw.get("finetune")
    if finetune is not None:
        if not isinstance(finetune, dict) or not int(finetune.get("epochs", 0)) > 0:
            raise UsageError("finetune needs epochs: N (N >= 1)", "e.g. finetune: {epochs: 1, lr: 0.001}")
        if raw.get("train") is None:
            raise UsageError("finetune needs training data", "give train: FILE.npz or FILE.py:FUNCTION")
    samples = int(raw.get("samples", 4))
    if samples < 1:
        raise UsageError(f"samples: {samples} must be at least 1", "inputs run on the stand-in per point, e.g. 4")
    return Spec(path, model, rel(raw["data"]), rel(raw.get("train")), rel(raw.get("calib")), search, trials,
                int(raw.get("seed", 0)), space, finetune, objectives, constraints, samples,
                bool(raw.get("real_boards", False)), raw)


def check_layers(spec: Spec, layers: dict[str, str]) -> None:
    """Every layer the space names must be one of the model's MAC layers (name -> kind)."""
    named: dict[str, str] = {}
    for dim in spec.space:
        kind, _, key = dim.partition(":")
        if not key or key == "*":
            continue
        for name in key.split(","):
            name = name.strip()
            if name not in layers:
                raise UsageError(f"space: {kind} names layer {name!r}, which the model does not have",
                                 f"its conv / linear layers are: {', '.join(layers) or 'none'}")
            if named.get(f"{kind}:{name}"):
                raise UsageError(f"space: {kind} names layer {name!r} twice", "give each layer one entry")
            named[f"{kind}:{name}"] = dim


def layer_params(params: dict, layers: list[str], kind: str, default) -> dict[str, object]:
    """A point's per-layer choice of `kind` (bits / prune) for every layer: named keys and
    groups first, then '*' for the rest, else `default`."""
    out = {}
    star = params.get(f"{kind}:*", default)
    for name in layers:
        out[name] = star
    for dim, value in params.items():
        k, _, key = dim.partition(":")
        if k == kind and key and key != "*":
            for name in key.split(","):
                out[name.strip()] = value
    return out
