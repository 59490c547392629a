"""The recurrent layers' kernels (firmware/kernels/recurrent/tg_kernels_recurrent.h): their
KernelSpecs; tinygen.kernels.table appends `recurrent_kernels`. Each takes its state (the
arena's persistent region, KernelSpec.state) and, for the LSTM and GRU, H bytes of scratch (2 x H
for the 16x8 LSTM, tg_lstm_s16). The SVDF's kernel follows its time weights' type (int16 or int8,
its state's too), the LSTM's its activations' (int8, or int16: TFLite's 16x8).

Call: kernel(&params, input, the initial state's pointers, constants..., state, [scratch,]
output); the initial state comes from a model input or a constant (NULL: zeros), see
tinygen/codegen/recurrent.py."""

from __future__ import annotations

from tinygen.kernels.params_recurrent import (gru_state_bytes, lstm_s16_scratch_bytes, lstm_state_bytes,
                                              recurrent_scratch_bytes, svdf_s8_state_bytes, svdf_state_bytes,
                                              svdf_time_dtype)
from tinygen.kernels.params_base import BUILDERS
from tinygen.kernels.recurrent_dsp import (dsp_scratch, lstm_dsp_fits, pack_gru_dsp, pack_lstm_dsp, pack_svdf_dsp,
                                           svdf_dsp_scratch)
from tinygen.kernels.recurrent_pairs_dsp import pack_lstm_pairs_dsp, pairs_dsp_scratch, pairs_fit
from tinygen.kernels.recurrent_rv32 import pack_gru_rv32, pack_lstm_rv32
from tinygen.kernels.spec import pack_consts

HEADER = "kernels/tg_kernels_recurrent.h"
TABLE = "kernels/tg_sigmoid_table_s16.c"
STEPS = "kernels/tg_sigmoid_steps_u32.c"          # the DSP LSTMs' sigmoid and tanh (tg_lstm_s8_dsp.h)
# the same over signed grids (the cores without TG_DUAL_ISSUE: tg_lstm_s8_dsp.h's TG_LSTM_SIGMOID, TG_LSTM_TANH)
SIGNED = ("kernels/tg_sigmoid_signed_u32.c", "kernels/tg_tanh_signed_u32.c")
# the constants in call order; the initial state's constants (h0, c0) are emitted with them but
# passed among the initial state's pointers (tinygen/codegen/recurrent.py)
LSTM_ROLES = ("w_ih", "w_hh", "bias", "h0", "c0")
GRU_ROLES = ("w_ih", "w_hh", "bias", "h0")
SVDF_ROLES = ("weights_feature", "weights_time", "bias")
# the DSP kernels read their weights packed (recurrent_dsp.py), not w_ih, w_hh and bias
DSP_ROLES = {"lstm": ("packed", "h0", "c0"), "gru": ("packed", "h0")}
DSP_HEADER = "kernels/tg_recurrent_s8_dsp.h"
LSTM_DSP_HEADERS = (HEADER, DSP_HEADER, "kernels/tg_dsp_s8.h", "kernels/tg_lstm_s8_dsp.h")
RV32_HEADER = "kernels/tg_recurrent_s8_rv32.h"
RV32 = frozenset({"rv32im"})
# the constant initial states, after the activation ones (codegen/recurrent.py)
INITIAL = {"lstm": ("h0", "c0"), "gru": ("h0",), "svdf": ()}
RESET = {"lstm": "tg_lstm_reset_s8", "gru": "tg_gru_reset_s8", "svdf": "tg_svdf_reset_s8"}
# the SVDF with int8 time weights and state (TFLite Micro's EvalInt8SvdfReference) resets to its zero point
SVDF_S8_RESET = "tg_svdf_reset_s8_s8"


def svdf_int16_state(graph, node) -> bool:
    """tg_svdf_s8's SVDF: int16 time weights and state."""
    return svdf_time_dtype(graph, node) == "int16"


def svdf_int8_state(graph, node) -> bool:
    """tg_svdf_s8_s8's SVDF: int8 time weights and state."""
    return svdf_time_dtype(graph, node) == "int8"


def reset_kernel(graph, node) -> str:
    """The C function putting `node`'s state back to its initial value."""
    if node.op == "svdf" and svdf_int8_state(graph, node):
        return SVDF_S8_RESET
    if node.op == "lstm" and graph.tensor(node.outputs[0]).dtype == "int16":
        return "tg_lstm_reset_s16"
    if node.op == "lstm" and graph.tensor(node.outputs[0]).dtype == "float32":     # a float model's LSTM
        return "tg_lstm_reset_f32"
    return RESET[node.op]


def lstm_dsp_accepts(graph, node) -> bool:
    """tg_lstm_s8_dsp's LSTM: its requantizations as recurrent_dsp.lstm_dsp_fits takes them."""
    return lstm_dsp_fits(BUILDERS["lstm"](graph, node))


def lstm_pairs_accepts(graph, node) -> bool:
    """tg_lstm_s8_pairs_dsp's LSTM: its weights two gates to a halfword exactly (recurrent_pairs_dsp.pairs_fit)."""
    return pairs_fit(BUILDERS["lstm"](graph, node), pack_consts(graph, node))


def recurrent_kernels(spec_type) -> tuple:
    """The KernelSpecs, built with tinygen.kernels.table.KernelSpec (passed in: no import cycle)."""
    def lstm(name, requires=frozenset(), calls=()):
        return spec_type(name, "lstm", requires=requires, struct="tg_lstm_params_t", const_roles=LSTM_ROLES,
                         source=f"kernels/{name}.c", twin="lstm_s8", headers=(HEADER,),
                         calls=("kernels/tg_lstm_reset_s8.c", TABLE) + calls, scratch=recurrent_scratch_bytes,
                         state=lstm_state_bytes)

    def gru(name, requires=frozenset(), calls=()):
        return spec_type(name, "gru", requires=requires, struct="tg_gru_params_t", const_roles=GRU_ROLES,
                         source=f"kernels/{name}.c", twin="gru_s8", headers=(HEADER,),
                         calls=("kernels/tg_gru_reset_s8.c", TABLE) + calls, scratch=recurrent_scratch_bytes,
                         state=gru_state_bytes)

    dsp = frozenset({"dsp"})
    return (
        # Cortex-M4/M7: two gates' int8 weights to a halfword (recurrent_pairs_dsp.py) where exact, else
        # int16 weight pairs (recurrent_dsp.py), both packed at build time
        spec_type("tg_lstm_s8_pairs_dsp", "lstm", requires=dsp, struct="tg_lstm_params_t",
                  const_roles=DSP_ROLES["lstm"], source="kernels/tg_lstm_s8_pairs_dsp.c", twin="lstm_s8",
                  headers=LSTM_DSP_HEADERS + ("kernels/tg_lstm_pairs_rec_dsp.h", "kernels/tg_lstm_pairs_unit_dsp.h",
                                                      "kernels/tg_lstm_pairs_x22_dsp.h"),
                  calls=("kernels/tg_lstm_reset_s8.c", STEPS, *SIGNED), scratch=pairs_dsp_scratch,
                  state=lstm_state_bytes, pack=pack_lstm_pairs_dsp, accepts=lstm_pairs_accepts),
        spec_type("tg_lstm_s8_dsp", "lstm", requires=dsp, struct="tg_lstm_params_t", const_roles=DSP_ROLES["lstm"],
                  source="kernels/tg_lstm_s8_dsp.c", twin="lstm_s8", headers=LSTM_DSP_HEADERS,
                  calls=("kernels/tg_lstm_reset_s8.c", STEPS, *SIGNED), scratch=dsp_scratch, state=lstm_state_bytes,
                  pack=pack_lstm_dsp, accepts=lstm_dsp_accepts),
        spec_type("tg_gru_s8_dsp", "gru", requires=dsp, struct="tg_gru_params_t", const_roles=DSP_ROLES["gru"],
                  source="kernels/tg_gru_s8_dsp.c", twin="gru_s8", headers=(HEADER, DSP_HEADER, "kernels/tg_dsp_s8.h"),
                  calls=("kernels/tg_gru_reset_s8.c", TABLE), scratch=dsp_scratch, state=gru_state_bytes,
                  pack=pack_gru_dsp),
        # RV32IM (ESP32-C3): int8 weights of the gates side by side per column (recurrent_rv32.py)
        spec_type("tg_lstm_s8_rv32", "lstm", requires=RV32, struct="tg_lstm_params_t", const_roles=DSP_ROLES["lstm"],
                  source="kernels/tg_lstm_s8_rv32.c", twin="lstm_s8", headers=(HEADER, RV32_HEADER),
                  calls=("kernels/tg_lstm_reset_s8.c", TABLE), scratch=recurrent_scratch_bytes,
                  state=lstm_state_bytes, pack=pack_lstm_rv32),
        spec_type("tg_gru_s8_rv32", "gru", requires=RV32, struct="tg_gru_params_t", const_roles=DSP_ROLES["gru"],
                  source="kernels/tg_gru_s8_rv32.c", twin="gru_s8", headers=(HEADER, RV32_HEADER),
                  calls=("kernels/tg_gru_reset_s8.c", TABLE), scratch=recurrent_scratch_bytes,
                  state=gru_state_bytes, pack=pack_gru_rv32),
        lstm("tg_lstm_s8"),
        # TFLite Micro's 16x8 LSTM: int16 activations, int64 biases
        spec_type("tg_lstm_s16", "lstm", act_dtype="int16", struct="tg_lstm_params_t", const_roles=LSTM_ROLES,
                  source="kernels/tg_lstm_s16.c", headers=(HEADER,),
                  calls=("kernels/tg_lstm_reset_s16.c", TABLE), scratch=lstm_s16_scratch_bytes,
                  state=lstm_state_bytes),
        gru("tg_gru_s8"),
        spec_type("tg_svdf_s8_dsp", "svdf", requires=dsp, struct="tg_svdf_params_t",
                  const_roles=("weights_time", "bias", "packed"), source="kernels/tg_svdf_s8_dsp.c", twin="svdf_s8",
                  headers=(HEADER, "kernels/tg_dsp_s8.h"), calls=("kernels/tg_svdf_reset_s8.c",),
                  scratch=svdf_dsp_scratch,
                  state=svdf_state_bytes, pack=pack_svdf_dsp, accepts=svdf_int16_state),
        spec_type("tg_svdf_s8", "svdf", struct="tg_svdf_params_t", const_roles=SVDF_ROLES,
                  source="kernels/tg_svdf_s8.c", twin="svdf_s8", headers=(HEADER,),
                  calls=("kernels/tg_svdf_reset_s8.c",), state=svdf_state_bytes, accepts=svdf_int16_state),
        # TFLite Micro's SVDF with int8 time weights and state
        spec_type("tg_svdf_s8_s8", "svdf", struct="tg_svdf_params_t", const_roles=SVDF_ROLES,
                  source="kernels/tg_svdf_s8_s8.c", headers=(HEADER,),
                  calls=("kernels/tg_svdf_reset_s8_s8.c",), state=svdf_s8_state_bytes, accepts=svdf_int8_state),
    )
