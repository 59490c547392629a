"""Which points to evaluate: a grid, a random sample, or Optuna's multi-objective
samplers (TPE, NSGA-II) through its ask-and-tell interface, so that several points are
out at once and each is told when its row comes back.

    search = make_search(spec)
    params = search.ask()          # a dict of dimension -> choice, or None when done
    search.tell(params, row)       # the finished row (failed rows are told as failed)
"""

from __future__ import annotations

import math
import random

from tinygen.errors import TinygenError, UsageError
from tinygen.sweep.spec import Spec


def space_size(space: dict[str, list]) -> int:
    return math.prod(len(v) for v in space.values())


def _decode(space: dict[str, list], index: int) -> dict:
    params = {}
    for name, choices in reversed(list(space.items())):
        index, i = divmod(index, len(choices))
        params[name] = choices[i]
    return dict(sorted(params.items(), key=lambda kv: list(space).index(kv[0])))


class GridSearch:
    """Every point, in the order of the space's dimensions (the last varies fastest)."""

    def __init__(self, space: dict[str, list], indices=None):
        self.space = space
        self._it = iter(indices if indices is not None else range(space_size(space)))

    def ask(self) -> dict | None:
        index = next(self._it, None)
        return None if index is None else _decode(self.space, index)

    def tell(self, params: dict, row: dict) -> None:
        pass

    def total(self) -> int | None:
        return space_size(self.space)


class RandomSearch(GridSearch):
    """`trials` distinct points drawn uniformly (seeded) from the grid."""

    def __init__(self, space: dict[str, list], trials: int, seed: int):
        size = space_size(space)
        self.count = min(trials, size)
        super().__init__(space, random.Random(seed).sample(range(size), self.count))

    def total(self) -> int | None:
        return self.count


class OptunaSearch:
    """Optuna's TPE or NSGA-II sampler on the spec's objectives (multi-objective), with the
    constraint sets' violations given to the sampler (a point meeting any set is feasible)."""

    def __init__(self, spec: Spec):
        try:
            import optuna
        except ImportError:
            raise TinygenError(f"search {spec.search} needs the optuna package",
                               "pip install optuna==5.0.0 (requirements.txt), or use search: grid / random") from None

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        self.spec = spec
        self.dists = {name: optuna.distributions.CategoricalDistribution(choices)
                      for name, choices in spec.space.items()}
        sampler = (optuna.samplers.TPESampler(seed=spec.seed, multivariate=True) if spec.search == "tpe" else
                   optuna.samplers.NSGAIISampler(seed=spec.seed, population_size=max(4, min(20, spec.trials // 4))))
        self.study = optuna.create_study(directions=["maximize" if d == "max" else "minimize"
                                                     for _, d in spec.objectives], sampler=sampler)
        self.asked = 0
        self.trials: dict[str, object] = {}
        self.seen: set[str] = set()

    def _key(self, params: dict) -> str:
        return repr(sorted(params.items()))

    def ask(self) -> dict | None:
        # a sampler may propose a point again; a repeat is told its earlier result at once
        for _ in range(20):
            if self.asked >= self.spec.trials:
                return None
            trial = self.study.ask(self.dists)
            self.asked += 1
            params = {name: trial.params[name] for name in self.spec.space}
            key = self._key(params)
            if key not in self.seen:
                self.seen.add(key)
                self.trials[key] = trial
                return params
            self.study.tell(trial, state=self.optuna.trial.TrialState.PRUNED)
        return None

    def tell(self, params: dict, row: dict) -> None:
        trial = self.trials.pop(self._key(params), None)
        if trial is None:                    # a point it never asked for (the driver's own)
            return
        if row.get("status") != "ok":
            self.study.tell(trial, state=self.optuna.trial.TrialState.FAIL)
            return
        if self.spec.constraints:            # feasible (<= 0) when the point meets a constraint set
            gap = min(sum(b.excess(row) for b in s) for s in self.spec.constraints)
            trial.set_constraint("constraint_sets", min(gap, 1e9))
        self.study.tell(trial, [float(row[m]) for m, _ in self.spec.objectives])

    def total(self) -> int | None:
        return self.spec.trials


def make_search(spec: Spec):
    if space_size(spec.space) == 0:
        raise UsageError("the search space is empty", "give every dimension at least one choice")
    if spec.search == "grid":
        return GridSearch(spec.space)
    if spec.search == "random":
        return RandomSearch(spec.space, spec.trials, spec.seed)
    return OptunaSearch(spec)


__all__ = ["GridSearch", "OptunaSearch", "RandomSearch", "make_search", "space_size"]
