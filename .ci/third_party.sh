# Sourced by .ci/run (and benchmarks/suite_time.py, which measures the suite as CI runs it):
# the project's unmodified third-party trees beside the clone (shared/third_party), against which
# the CMSIS-NN and ESP-NN backend tests and the MLPerf Tiny runner's tests run. A variable
# already set is kept; a tree that is not there leaves its tests skipped, saying why (but see the CMSIS
# core and ST device trees below).
third_party="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared/third_party"
for pair in CMSIS_NN_PATH:CMSIS-NN ESP_NN_PATH:esp-nn MLPERF_TINY_RUNNER:mlperf-tiny-runner; do
  var="${pair%%:*}" dir="$third_party/${pair#*:}"
  if [ -z "${!var:-}" ] && [ -d "$dir" ]; then export "$var=$dir"; fi
done
# Arm's CMSIS core headers and ST's device files: exported whether there or not, so that the
# register check of the board ports and the Cube-style builds (tests/st_trees.py) fail in CI,
# naming the missing tree, instead of skipping.
for pair in CMSIS_6_PATH:CMSIS_6 CMSIS_DEVICE_F7_PATH:cmsis_device_f7 CMSIS_DEVICE_F4_PATH:cmsis_device_f4; do
  var="${pair%%:*}"
  if [ -z "${!var:-}" ]; then export "$var=$third_party/${pair#*:}"; fi
done
unset third_party pair var dir
