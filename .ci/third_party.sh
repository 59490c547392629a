# Sourced by .ci/run (and benchmarks/suite_time.py, which measures the suite as CI runs it):
# the project's unmodified third-party trees beside the clone (shared/third_party), against which
# the CMSIS-NN and ESP-NN backend tests and the MLPerf Tiny runner's tests run. A variable
# already set is kept; a tree that is not there leaves its tests skipped, saying why.
third_party="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared/third_party"
for pair in CMSIS_NN_PATH:CMSIS-NN ESP_NN_PATH:esp-nn MLPERF_TINY_RUNNER:mlperf-tiny-runner; do
  var="${pair%%:*}" dir="$third_party/${pair#*:}"
  if [ -z "${!var:-}" ] && [ -d "$dir" ]; then export "$var=$dir"; fi
done
unset third_party pair var dir
