"""The layouts of the PyTorch importer's values (tinygen/frontend/torch_values.py): the
conversions between them that the handlers ask for (LayoutConversions, a mixin of
tinygen.frontend.torch._Importer), the layout a model input takes (input_layout), and the
nodes worth translating (live_nodes)."""

from __future__ import annotations

import torch
import torch.fx

from tinygen.frontend.torch_ops import packet_key
from tinygen.frontend.torch_values import (_TO_NCHW, _TO_NHWC, IMAGE, IMAGE_OPS, NEUTRAL_OPS, SEQUENCE_OPS, TORCH,
                                           _Act, _same_order, has_image_form, ir_shape, nchw4, torch_shape)


class LayoutConversions:
    """The importer's accessors of an activation in a layout; they emit IR nodes through
    the importer's _emit and refuse through its _unsupported."""

    def _act(self, v, what: str = "input") -> _Act:
        """An activation in the IMAGE layout (what the convolution-era handlers expect)."""
        return self.act_in(v, IMAGE, what)

    def act_any(self, v, what: str = "input") -> _Act:
        """An activation in the layout it is held in (for handlers that keep it)."""
        if not isinstance(v, _Act):
            raise self._unsupported(f"its {what} must be an activation computed from the model "
                                    f"input, not a constant or a number")
        if v.mask is not None:
            raise self._unsupported(f"it reads attention scores with a {v.mask} mask added; the masked "
                                    f"scores must go straight into a softmax over the last axis")
        return v

    def act_in(self, v, layout: str, what: str = "input") -> _Act:
        """An activation in `layout` (torch_values.IMAGE or TORCH), converted where it is held
        the other way (a transpose, or a free reshape where both orders agree)."""
        x = self.act_any(v, what)
        if x.layout == layout or not has_image_form(x.tshape):
            return x if x.layout == layout else _Act(x.name, x.tshape, layout)
        return self.from_torch_order(self.to_torch_order(x), x.tshape, layout)

    def _reshape_to(self, src: _Act, dst: tuple[int, ...]) -> _Act:
        """Reshape with torch's element order; the result keeps a sequence's (TORCH) layout,
        and an image's where it has an image form."""
        src = self.act_any(src)
        if tuple(dst) == src.tshape:
            return src
        return self.from_torch_order(self.to_torch_order(src), tuple(dst), src.layout)

    def to_torch_order(self, src: _Act) -> str:
        """An IR tensor holding `src`'s elements in torch's order (of any shape)."""
        if src.layout == TORCH or not has_image_form(src.tshape) or _same_order(src.tshape):
            return src.name
        return self._emit("transpose", "transpose", [src.name], nchw4(src.tshape), {"perm": _TO_NCHW})

    def from_torch_order(self, name: str, tshape: tuple[int, ...], layout: str = IMAGE) -> _Act:
        """The value of IR tensor `name` (torch's element order, any shape of as many elements)
        as torch shape `tshape` in `layout` (TORCH where the value has no image form)."""
        cur_shape = self.graph.tensor(name).shape
        tshape = tuple(tshape)
        if layout != IMAGE or not has_image_form(tshape):
            if cur_shape != torch_shape(tshape):
                name = self._emit("reshape", "reshape", [name], torch_shape(tshape))
            return _Act(name, tshape, TORCH)
        if not _same_order(tshape):
            if cur_shape != nchw4(tshape):
                name = self._emit("reshape", "reshape", [name], nchw4(tshape))
            name = self._emit("transpose", "transpose", [name], ir_shape(tshape), {"perm": _TO_NHWC})
        elif cur_shape != ir_shape(tshape):
            name = self._emit("reshape", "reshape", [name], ir_shape(tshape))
        return _Act(name, tshape, IMAGE)


def live_nodes(graph: "torch.fx.Graph") -> set:
    """The nodes the output reads, directly or not, and those that write into a value in place."""
    live: set = set()
    todo = [n for n in graph.nodes if n.op == "output" or (
        n.op == "call_function" and isinstance(n.target, torch._ops.OpOverload) and n.target._schema.is_mutable)]
    while todo:
        node = todo.pop()
        if node not in live:
            live.add(node)
            todo.extend(node.all_input_nodes)
    return live


def _swaps_last_two(user: "torch.fx.Node") -> bool | None:
    """For a transpose / permute of a 3-D value: whether it swaps dims 1 and 2 (None: not one)."""
    if packet_key(user.target) == "aten::transpose":
        return sorted(int(d) % 3 for d in user.args[1:3]) == [1, 2]
    if packet_key(user.target) == "aten::permute":
        return [int(d) % 3 for d in user.args[1]] == [0, 2, 1]
    return None


def input_layout(node: "torch.fx.Node") -> str:
    """TORCH for a 3-D model input whose first layout-sensitive readers (through elementwise
    operators) are sequence operators only (torch_values.SEQUENCE_OPS, or a mean over the
    last dim keeping it, as a norm written out takes), else IMAGE. Through a transpose of the
    last two dims the preference flips: a sequence transposed for a Conv1d is TORCH, a Conv1d's
    [N, C, L] transposed for a Linear IMAGE (either way the transpose is then free)."""
    if len(node.meta["val"].shape) != 3:
        return IMAGE
    other = {TORCH: IMAGE, IMAGE: TORCH}
    wants, seen, todo = set(), set(), [(user, False) for user in node.users]
    while todo:
        user, flipped = todo.pop()
        if (user, flipped) in seen or user.op != "call_function" or not isinstance(user.target, torch._ops.OpOverload):
            continue
        seen.add((user, flipped))
        key = packet_key(user.target)
        want = None
        if key == "aten::mean" and user.args[1:2] and list(user.args[1]) in ([-1], [2]) and tuple(user.args[2:3]) == (True,):
            want = TORCH            # the statistics of a norm written out: x.pow(2).mean(-1, keepdim=True)
        elif key in ("aten::transpose", "aten::permute") and _swaps_last_two(user) is not None:
            todo.extend((u, flipped != _swaps_last_two(user)) for u in user.users)
        elif key in SEQUENCE_OPS:
            want = TORCH
        elif key in IMAGE_OPS:
            want = IMAGE
        elif key in NEUTRAL_OPS:
            todo.extend((u, flipped) for u in user.users)
        if want is not None:
            wants.add(other[want] if flipped else want)
    return TORCH if wants == {TORCH} else IMAGE
