"""Sequence models from PyTorch: nn.LayerNorm, nn.RMSNorm and the RMS norm written out,
nn.MultiheadAttention (batch_first, with and without a causal mask, both of torch's code
paths), attention written with matmul / softmax, Linear on [B, T, D], Conv1d after a
transpose; what is refused and how.

- the frontend against float PyTorch (the float interpreter, every model);
- the layout: a sequence input [B, T, D] is held as itself (no transpose before a Linear or
  a LayerNorm), a transpose to a Conv1d's [B, D, T] is a free reshape, Conv1d models keep
  their layout;
- compiled for the host: the C equals the numpy reference byte for byte on every layer;
- a transformer encoder block (LayerNorm, MultiheadAttention, MLP, residuals) on [1, 8, 64]
  bit-exact on the f746zg stand-in (and, slow, on the esp32-c3's), every layer; the integer layer norm within one output
  step of float PyTorch's on its int8 input (tests/ref/test_norm_vs_torch.py measures more).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from torch import nn

from attention_lib import EncoderBlock, seeded
from e2e import ALL_AGREE, assert_bit_exact, assert_device_equals_reference, build_host, diff_layers
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend import ir_layout, torch_to_ir
from tinygen.frontend.torch import from_exported
from tinygen.passes import CompileOptions, float_pipeline, run_passes
from tinygen.ref.float_interp import run_float
from tinygen.ref.interpreter import dequantize, quantize_input, run


class RMSNormWritten(nn.Module):
    """LLaMA's RMS norm: x * rsqrt(mean(x^2) + eps) * w."""

    def __init__(self, dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight


class Attention(nn.Module):
    """Single-head attention written out: projections, q @ k^T / sqrt(d), softmax, @ v."""

    def __init__(self, dim: int = 16, causal: str | None = None):
        super().__init__()
        self.qkv, self.out, self.causal = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim), causal
        self.register_buffer("mask", torch.tril(torch.ones(8, 8)))

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
        if self.causal == "masked_fill":
            scores = scores.masked_fill(self.mask == 0, float("-inf"))
        elif self.causal == "additive":
            scores = scores + torch.triu(torch.full((8, 8), float("-inf")), 1)
        return self.out(torch.softmax(scores, dim=-1) @ v)


class SdpaHeads(nn.Module):
    """F.scaled_dot_product_attention over 2 heads [B, H, T, Dh], is_causal."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(16, 48)

    def forward(self, x):
        q, k, v = (t.view(1, 8, 2, 8).transpose(1, 2) for t in self.qkv(x).chunk(3, dim=-1))
        y = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        return y.transpose(1, 2).reshape(1, 8, 16)


class ConvAfterTranspose(nn.Module):
    """A sequence [B, T, D] transposed for a Conv1d, then back for a Linear."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv1d(16, 12, 3, padding=1), nn.Linear(12, 4)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x.transpose(1, 2))).transpose(1, 2))


class LinearAfterTranspose(nn.Module):
    """A Conv1d-layout input [N, C, L] transposed to [N, L, C] for a Linear."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc(x.transpose(1, 2))


class Conv1dModel(nn.Module):
    """A Conv1d model on [N, C, L]: its input keeps the convolution layout."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv1d(4, 6, 3), nn.Linear(6 * 8, 3)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


class CrossAttention(nn.Module):
    """nn.MultiheadAttention with kdim = vdim != embed_dim: a query sequence and a memory."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 2, batch_first=True, kdim=8, vdim=8)

    def forward(self, x, memory):
        return self.attn(x, memory, memory, need_weights=False)[0]


MODELS = {
    "encoder": (lambda: EncoderBlock(), (1, 8, 64)),
    "encoder_causal": (lambda: EncoderBlock(causal=True), (1, 8, 64)),
    "encoder_sdpa": (lambda: EncoderBlock(need_weights=False), (1, 8, 64)),
    "encoder_causal_sdpa_rms": (lambda: EncoderBlock(causal=True, rms=True, need_weights=False), (1, 8, 64)),
    "layernorm_4d": (lambda: nn.Sequential(nn.LayerNorm(6), nn.Linear(6, 5)), (1, 3, 4, 6)),
    "rmsnorm": (lambda: nn.Sequential(nn.Linear(16, 16), nn.RMSNorm(16)), (1, 8, 16)),
    "rmsnorm_written": (lambda: RMSNormWritten(16), (1, 8, 16)),
    "attention": (lambda: Attention(), (1, 8, 16)),
    "attention_masked_fill": (lambda: Attention(causal="masked_fill"), (1, 8, 16)),
    "attention_additive_mask": (lambda: Attention(causal="additive"), (1, 8, 16)),
    "sdpa_heads": (SdpaHeads, (1, 8, 16)),
    "conv_after_transpose": (ConvAfterTranspose, (1, 8, 16)),
    "conv1d": (Conv1dModel, (1, 4, 10)),
    "linear_after_transpose": (LinearAfterTranspose, (1, 16, 8)),
}


def _export(name: str):
    factory, shape = MODELS[name]
    torch.manual_seed(1)
    net = seeded(factory(), 3)
    x = torch.randn(*shape)
    return net, x, from_exported(torch.export.export(net, (x,)), name)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_sequence_model_float_graph_equals_torch(name):
    """The IR (after the float passes) computes the model's float output."""
    net, x, graph = _export(name)
    graph = run_passes(graph, float_pipeline())
    out = run_float(graph, torch_to_ir(x.numpy(), ir_layout(graph, "input")))[graph.outputs[0]]
    want = net(x).detach().numpy()
    want = torch_to_ir(want, ir_layout(graph, "output"))
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=2e-5)


def test_sequence_input_keeps_torch_order():
    """A sequence is held as itself: nothing moves before a LayerNorm / Linear, the output is [B, T, D]."""
    _, _, graph = _export("encoder")
    assert graph.tensor("input").shape == (1, 8, 64) and graph.tensor("output").shape == (1, 8, 64)
    assert graph.meta["torch_layouts"] == {"input": "torch", "output": "torch"}
    assert graph.nodes[0].op == "layer_norm" and graph.nodes[0].inputs == ["input"]


def test_transpose_before_conv1d_is_free():
    """x.transpose(1, 2) of a sequence into a Conv1d and back into a Linear: no transpose left."""
    _, _, graph = _export("conv_after_transpose")
    graph = run_passes(graph, float_pipeline())
    assert [n.op for n in graph.nodes] == ["reshape", "conv2d", "reshape", "fully_connected"]


def test_transpose_of_a_conv1d_input_for_a_linear_is_free():
    """[N, C, L] transposed for a Linear: the input keeps the Conv1d layout, and the transpose goes."""
    _, _, graph = _export("linear_after_transpose")
    graph = run_passes(graph, float_pipeline())
    assert graph.meta["torch_layouts"] == {"output": "torch"}
    assert [n.op for n in graph.nodes] == ["reshape", "fully_connected"]


def test_conv1d_model_keeps_its_layout():
    """A Conv1d's [N, C, L] input keeps the convolution layout [N, 1, L, C] (no torch_layouts)."""
    _, _, graph = _export("conv1d")
    assert graph.tensor("input").shape == (1, 1, 10, 4) and "torch_layouts" not in graph.meta


def test_written_rms_norm_is_one_node():
    _, _, graph = _export("rmsnorm_written")
    graph = run_passes(graph, float_pipeline())
    assert [n.op for n in graph.nodes] == ["rms_norm"]


def test_attention_scale_folds_into_the_matmul():
    """nn.MultiheadAttention's q scaling and q @ k^T become one batch matmul reading k as stored."""
    _, _, graph = _export("encoder")
    graph = run_passes(graph, float_pipeline())
    matmuls = [n for n in graph.nodes if n.op == "batch_matmul"]
    assert [n.attrs["adj_y"] for n in matmuls] == [True, False]
    assert matmuls[0].attrs["alpha"] == pytest.approx(0.25) and "mul" not in [n.op for n in graph.nodes]


def test_causal_mask_is_a_causal_softmax():
    for name in ("encoder_causal", "attention_masked_fill", "attention_additive_mask", "sdpa_heads"):
        _, _, graph = _export(name)
        softmax = [n for n in graph.nodes if n.op == "softmax"]
        assert [n.attrs.get("causal") for n in softmax] == [True], name


def test_cross_attention_kdim_vdim_two_inputs():
    """kdim = vdim != embed_dim (a query and a memory sequence, two model inputs) compile as
    the same operators: projections of each input, then the attention."""
    torch.manual_seed(0)
    net = seeded(CrossAttention(), 1)
    x, memory = torch.randn(1, 8, 16), torch.randn(1, 5, 8)
    graph = from_exported(torch.export.export(net, (x, memory)), "cross")
    assert graph.meta["torch_layouts"] == {"input_0": "torch", "input_1": "torch", "output": "torch"}
    out = run_float(graph, {"input_0": x.numpy(), "input_1": memory.numpy()})[graph.outputs[0]]
    np.testing.assert_allclose(out, net(x, memory).detach().numpy(), rtol=1e-4, atol=2e-5)


# -- refusals: one clear line each ------------------------------------------------------------

class KeyPadding(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 2, batch_first=True)

    def forward(self, x):
        pad = torch.zeros(1, 8, dtype=torch.bool)
        pad[:, -2:] = True
        return self.attn(x, x, x, key_padding_mask=pad)[0]


class BandMask(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 2, batch_first=True)

    def forward(self, x):
        band = torch.ones(8, 8).triu(3).bool() | torch.ones(8, 8).tril(-3).bool()
        return self.attn(x, x, x, attn_mask=band)[0]


class SeqFirst(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 2)

    def forward(self, x):
        return self.attn(x, x, x)[0]


@pytest.mark.parametrize("net, shape, error, text", [
    (KeyPadding, (1, 8, 16), UnsupportedOpError, "nn.MultiheadAttention with an attention mask that is not causal"),
    (BandMask, (1, 8, 16), UnsupportedOpError, "nn.MultiheadAttention with an attention mask that is not causal"),
    (SeqFirst, (8, 1, 16), ModelError, "exported with batch 1"),
])
def test_attention_refusals(net, shape, error, text):
    torch.manual_seed(0)
    with pytest.raises(error) as info:
        from_exported(torch.export.export(net().eval(), (torch.randn(*shape),)), "m")
    message = str(info.value)
    assert text in message and "Traceback" not in message
    if error is UnsupportedOpError:
        assert "key_padding_mask" in message and "is_causal=True" in message


# -- compiled: host C == reference ---------------------------------------------------------------

def _compiled(name: str, tmp_path, features=frozenset()):
    factory, shape = MODELS[name]
    torch.manual_seed(1)
    net = seeded(factory(), 3)
    torch.export.save(torch.export.export(net, (torch.randn(*shape),)), tmp_path / f"{name}.pt2")
    rng = np.random.default_rng(0)
    np.save(tmp_path / "calib.npy", rng.standard_normal((48,) + shape[1:]).astype(np.float32))
    source = load_source(tmp_path / f"{name}.pt2")
    graph = compile_source(source, str(tmp_path / "calib.npy"), CompileOptions(features=frozenset(features)))
    inputs = [quantize_input(graph, source.to_graph_layout(rng.standard_normal(shape).astype(np.float32)))
              for _ in range(4)]
    return net, source, graph, inputs


@pytest.mark.parametrize("name", ["encoder_causal", "encoder_causal_sdpa_rms", "rmsnorm_written",
                                  "attention_additive_mask", "sdpa_heads", "layernorm_4d"])
def test_sequence_model_host_c_equals_reference(name, tmp_path):
    _, source, graph, inputs = _compiled(name, tmp_path)
    host = build_host(source, graph, tmp_path / "host")
    assert_bit_exact(graph, host, inputs)
    assert diff_layers(graph, host, inputs[0]) == ALL_AGREE


def test_encoder_block_int8_follows_float(tmp_path):
    """The compiled block's int8 output, dequantized, follows float PyTorch's through all of the
    block's roundings: within an output step on average, a few at most (the output's spread is
    some 30 steps)."""
    net, source, graph, _ = _compiled("encoder", tmp_path)
    rng = np.random.default_rng(7)
    step = float(graph.tensor(graph.outputs[0]).qparams.scale[0])
    errors = []
    for _ in range(8):
        x = rng.standard_normal((1, 8, 64)).astype(np.float32)
        got = dequantize(graph, "output", run(graph, quantize_input(graph, source.to_graph_layout(x)))["output"])
        errors.append(np.abs(got - net(torch.from_numpy(x)).detach().numpy()).ravel() / step)
    errors = np.concatenate(errors)
    assert errors.mean() < 1.0 and errors.max() < 6.0, (errors.mean(), errors.max())


@needs_qemu
def test_encoder_block_f746zg_standin(tmp_path):
    """LayerNorm, MultiheadAttention (the DSP batch matmul), MLP, residuals on [1, 8, 64]:
    every layer bit-exact on the Cortex-M7 stand-in."""
    _check_block_on_standin("f746zg", "tg_batch_matmul_s8_dsp", tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("riscv64-unknown-elf-gcc") is None or shutil.which("qemu-system-riscv32") is None,
                    reason="needs riscv64-unknown-elf-gcc and qemu-system-riscv32")
def test_encoder_block_esp32c3_standin(tmp_path):
    """The same block with the RV32 batch matmul on the ESP32-C3's stand-in."""
    _check_block_on_standin("esp32-c3", "tg_batch_matmul_s8_rv32", tmp_path)


def _check_block_on_standin(board_name: str, matmul: str, tmp_path) -> None:
    from tinygen.hil.target import open_device

    board = get_board(board_name)
    _, source, graph, inputs = _compiled("encoder", tmp_path, board.isa_features)
    kernels = {n.op: n.kernel for n in graph.nodes if n.kernel}
    assert kernels["batch_matmul"] == matmul and kernels["layer_norm"] == "tg_layer_norm_s8"
    project = build(source, graph, board, tmp_path / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs):
            assert_device_equals_reference(dev, graph, x, f"{board_name} input {i}")
