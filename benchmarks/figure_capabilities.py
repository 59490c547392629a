"""The figures of the guide's tiling, camera, audio, energy, sweep and MLPerf-runner pages (benchmarks/figures.py).

Each Figure names the benchmark that measures it and renders its JSON as the Markdown between
the figure's markers; benchmarks/figure_list.py collects them with the README's.
"""

from __future__ import annotations

from figure_engine import Figure

FIGURES: list[Figure] = []
