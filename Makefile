# tinygen: set-up, tests and the demo on a fresh Debian/Ubuntu machine.
#   make demo     a trained digits classifier (shipped weights): compile it to C, run it, report
#   make demo-vww person detection on photographs, camera frames preprocessed on the device
#   make demo-kws stream a minute of synthesized speech through a keyword-spotting firmware
#   make test     the whole test suite (slow suites included, as in CI) but the toolchain tests
#   make test-toolchains   the tests of third-party quantization toolchains (tests/toolchains/; CI runs them too)
#   make test-fast   everything but the tests marked slow
#   make setup    only create .venv and check the toolchain
#   make fuzz     the fuzz test with 10x its mutants: 3200 seeded mutants of shipped models (tests/cli/test_fuzz.py)
#   make figures  measure every figure in README.md and docs/ again and rewrite them (benchmarks/figures.py)
#   make check-figures   re-measure every figure and fail naming any that differs (check-figures-quick: a subset per table)
#   make test-avx2   the onnxruntime comparisons of QOperator models on an emulated AVX2-only CPU (qemu-x86_64 -cpu Haswell)
#   make fuzz     the fuzz test with 3200 mutants (the suite runs 320)
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.tinygen-installed
JOBS ?= 2
# Python modules are byte-compiled when first imported, into .venv and this tree's __pycache__
# folders (ignored by git), even where the environment sets PYTHONDONTWRITEBYTECODE: set-up then
# compiles only what the tools import instead of all of site-packages (pip install --no-compile),
# and the suite's processes read the compiled modules instead of compiling them each again.
unexport PYTHONDONTWRITEBYTECODE

# Debian packages: the host compiler, the Cortex-M and RISC-V cross compilers
# (newlib for Cortex-M; RISC-V builds are freestanding) and the QEMU stand-ins.
# espeak-ng and sox: the synthesized keyword-spotting corpus (tinygen.audio) and its playback.
# qemu-user: the suite's onnxruntime comparisons run again on an emulated AVX2-only x86-64 CPU (make test-avx2).
# --no-install-recommends keeps QEMU's GUI packages (3 GB) out.
APT_PACKAGES := gcc make python3-venv gcc-arm-none-eabi libnewlib-arm-none-eabi \
	qemu-system-arm gcc-riscv64-unknown-elf qemu-system-misc espeak-ng sox qemu-user
TOOLS := gcc make arm-none-eabi-gcc qemu-system-arm riscv64-unknown-elf-gcc qemu-system-riscv32 espeak-ng sox qemu-x86_64

.PHONY: setup toolchain test test-fast test-toolchains test-avx2 fuzz demo demo-vww demo-kws docs figures check-figures check-figures-quick clean

toolchain:
	@missing=""; \
	for t in $(TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	$(PYTHON) -m venv --help >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if command -v arm-none-eabi-gcc >/dev/null 2>&1 && \
	   [ "$$(arm-none-eabi-gcc -print-file-name=libc.a)" = "libc.a" ]; then missing="$$missing libnewlib-arm-none-eabi"; fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(APT_PACKAGES); \
	  else \
	    echo "missing:$$missing. Install the toolchain first:"; \
	    echo "  sudo apt-get install -y --no-install-recommends $(APT_PACKAGES)"; \
	    exit 1; \
	  fi; \
	fi

$(STAMP): requirements.txt requirements-toolchains.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check --no-compile -r requirements.txt -r requirements-toolchains.txt
	$(VPY) -m pip install --quiet --disable-pip-version-check --no-compile --no-deps --no-build-isolation -e . \
	  || $(VPY) -m pip install --quiet --disable-pip-version-check --no-compile --no-deps -e .
	touch $(STAMP)

setup: toolchain $(STAMP)

# The tests marked toolchain (PT2E, Brevitas, NNCF, onnxruntime's quantize_static,
# ai-edge-quantizer: every test under tests/toolchains/) run under make test-toolchains, not here;
# --ignore keeps each worker from importing those packages at collection as well (about 7 s of CPU each)
test: setup
	$(VPY) -m pytest -n $(JOBS) -q --durations=25 -m "not toolchain" --ignore=tests/toolchains

test-fast: setup
	$(VPY) -m pytest -n $(JOBS) -q -m "not slow"

# the whole tree is collected, so a test marked toolchain outside tests/toolchains/ runs here too
test-toolchains: setup
	$(VPY) -m pytest -n $(JOBS) -q --durations=10 -m toolchain

# onnxruntime's QOperator kernels (u8s8) differ on x86-64 CPUs without VNNI: the comparisons that
# use them run again with the test process on QEMU's Haswell (AVX2, no AVX-512), in-process
# (xdist's workers would start outside the emulator; the features QEMU's TCG lacks are off); about 3 minutes
AVX2_TESTS := tests/frontend/test_onnx_models.py tests/frontend/test_onnx_ops.py \
	tests/frontend/test_onnx_heldout.py tests/hil/test_onnx_sessions.py
test-avx2: setup
	qemu-x86_64 -cpu Haswell,-pcid,-x2apic,-tsc-deadline,-hle,-invpcid,-rtm $(VPY) -m pytest -p no:xdist -q \
	  -k "qoperator or QLinear or QGemm or MatMulInteger or ConvInteger or sessions" $(AVX2_TESTS)

fuzz: setup
	TINYGEN_FUZZ_MUTANTS=3200 $(VPY) -m pytest -p no:xdist -q tests/cli/test_fuzz.py

demo: setup
	$(VPY) examples/digits_demo.py --out build/demo

demo-vww: setup
	$(VPY) examples/camera/vww_demo.py --out build/demo-vww

demo-kws: setup
	$(VPY) examples/kws_demo.py --out build/demo-kws

docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

figures: setup
	$(VPY) benchmarks/figures.py measure

check-figures: setup
	$(VPY) benchmarks/figures.py check --json build/check-figures.json

check-figures-quick: setup
	$(VPY) benchmarks/figures.py check --quick --json build/check-figures.json

clean:
	rm -rf build site .pytest_cache .hypothesis
