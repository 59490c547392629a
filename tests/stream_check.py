"""A stateful .tflite model run as a sequence of invocations through TFLite Micro's interpreter,
tinygen's reference (its `state` carried over) and the host C, every output compared at every
invocation: the check the streaming tests share (signal ops with state, resource variables)."""

from __future__ import annotations

import numpy as np
from e2e import first_difference

from tinygen.ref import interpreter as ref_interp


def tflm_sequence(runtime, data: bytes, graph, host, inputs, reset_at=(), fresh: bool = False,
                  valid: dict | None = None, undefined: dict | None = None) -> list[list]:
    """Invoke each of `inputs` in turn on the three; before invocation k in `reset_at` reset them all
    (TFLite Micro's interpreter.reset(), or with `fresh` a new interpreter; host.reset_state(); the
    reference's state emptied). Asserts every output equal to TFLite Micro's, but output j where
    `valid` maps it to an output k that is false (a framer's frames and its valid flag: TFLite
    Micro leaves them unwritten, tinygen writes zeros; the reference and host C still agree);
    likewise output j at the invocations `undefined` maps it to (a CIRCULAR_BUFFER's window before it
    fills: TFLite Micro's starts as its arena held it); returns TFLite Micro's outputs (flattened)
    per invocation."""
    valid, undefined = valid or {}, undefined or {}
    tflm = runtime.Interpreter.from_bytes(data)
    state, seen = {}, []
    for k, x in enumerate(inputs):
        if k in reset_at:
            if fresh:
                tflm = runtime.Interpreter.from_bytes(data)
            else:
                tflm.reset()
            host.reset_state()
            state = {}
        tflm.set_input(x, 0)
        tflm.invoke()
        want = [tflm.get_output(j).ravel() for j in range(len(graph.outputs))]
        ref = ref_interp.run(graph, x, state=state)
        got = host.invoke(x)
        for j, name in enumerate(graph.outputs):
            if (j in valid and not want[valid[j]].all()) or k in undefined.get(j, ()):
                assert np.array_equal(ref[name].ravel(), got[j].ravel()), f"invocation {k}, output {j}: host C " \
                    f"vs reference: {first_difference(got[j], ref[name])}"
                continue
            assert np.array_equal(ref[name].ravel(), want[j]), \
                f"invocation {k}, output {j}: reference vs TFLM: {first_difference(ref[name], want[j])}"
            assert np.array_equal(got[j].ravel(), want[j]), \
                f"invocation {k}, output {j}: host C vs TFLM: {first_difference(got[j], want[j])}"
        seen.append(want)
    return seen
