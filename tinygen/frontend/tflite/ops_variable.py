"""TFLite's resource variables, as TFLite Micro runs a streaming model that keeps its state in
them: VAR_HANDLE names a variable (by its shared_name, as MicroResourceVariables finds one whose
handle names no container), READ_VARIABLE copies its bytes out, ASSIGN_VARIABLE copies a tensor's
bytes in, and CALL_ONCE runs an init subgraph once, before anything else, whose ASSIGN_VARIABLEs of constants give the
variables their initial values (a variable no init assigns starts as TFLite Micro allocates it:
every byte its quantization's zero point, cast to int8, else 0).

One invocation of the main subgraph becomes, per variable, at most two IR nodes sharing the
variable's bytes in the persistent region (tinygen.ref.variable): one read_variable (the value
before this invocation assigns it; every read before the first assign is that node's output) and
one assign_variable of the value the last ASSIGN_VARIABLE gives, after the read (its second
input); a read after an assign is the assigned tensor itself. tg_model_reset_state() puts the
initial values back, so a reset model runs as a fresh TFLite Micro interpreter does (TFLM's own
Reset() fills the zero points instead and does not run the init subgraph again).

Refused in one line: an init subgraph that computes anything (tinygen takes constant initial
values), a CALL_ONCE after a variable is used, a variable read that nothing assigns, IF / WHILE."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tflite.CallOnceOptions import CallOnceOptions
from tflite.VarHandleOptions import VarHandleOptions

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.builder import Builder
from tinygen.frontend.tflite.reader import TYPES
from tinygen.ir import Kind, Node, QParams, Tensor

VARIABLE_OPS = ("VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE")


@dataclass
class VariableImport:
    """One import's bookkeeping of the variables, each known by its shared_name (as TFLite Micro
    finds a variable whose handle names no container, and as its Python interpreter counts them)."""
    handles: dict[int, str] = field(default_factory=dict)      # resource tensor -> variable
    initial: dict[str, str] = field(default_factory=dict)      # variable -> its initial value (constant)
    read: dict[str, str] = field(default_factory=dict)         # variable -> its read node's output
    assigned: dict[str, str] = field(default_factory=dict)     # variable -> the last value assigned
    nodes: dict[str, list] = field(default_factory=dict)       # variable -> its read and assign nodes
    used: bool = False                                         # a variable was read or assigned


class VariableOps(Builder):
    """The resource-variable operators (VARIABLE_OPS): begin_variables() before the operators,
    op_var_handle, op_read_variable, op_assign_variable, op_call_once, then add_assigns()."""

    def begin_variables(self) -> None:
        self.variables = VariableImport()

    def _handle_name(self, op) -> str:
        opts = self.options(op, VarHandleOptions)
        return (opts.SharedName() or b"").decode("utf-8", "replace") or "variable"

    def _resource_variable(self, index: int) -> str:
        if index not in self.variables.handles:
            raise UnsupportedOpError(f"{self.where}its resource {self.tname(index)!r} does not come from a VAR_HANDLE "
                                     "of the main subgraph")
        return self.variables.handles[index]

    # -- the operators (no outputs but VAR_HANDLE's resource and READ_VARIABLE's value) --
    def op_var_handle(self, i, op, ins, out, source) -> None:
        self.variables.handles[out] = self._handle_name(op)

    def op_call_once(self, i, op, ins, out, source) -> None:
        known = self.variables
        if known.used:
            raise UnsupportedOpError(f"{self.where}runs its init subgraph after a variable is used",
                                     "tinygen takes the init subgraph's values as the variables' start: put "
                                     "CALL_ONCE first, as the TFLite converter does")
        index = self.options(op, CallOnceOptions).InitSubgraphIndex()
        if not 0 < index < self.model.SubgraphsLength():
            raise ModelError(f"{self.where}init subgraph {index} does not exist")
        main, where = self.sg, self.where
        self.sg = self.model.Subgraphs(index)          # the init subgraph's tensors, read alike
        try:
            handles = {}
            for k in range(self.sg.OperatorsLength()):
                init = self.sg.Operators(k)
                name = self.opname(init)
                self.where = f"{where}init subgraph {index}, operator {k} ({name}): "
                if name == "VAR_HANDLE":
                    handles[int(init.Outputs(0))] = self._handle_name(init)
                elif name == "ASSIGN_VARIABLE" and int(init.Inputs(0)) in handles and self.is_const(int(init.Inputs(1))):
                    value = int(init.Inputs(1))
                    key = handles[int(init.Inputs(0))]
                    const = self.graph.add_const(self.graph.unique_name(f"variable_{key}_initial"),
                                                 self.buffer(value), TYPES[self.tensor(value).Type()][0])
                    known.initial[key] = const.name
                else:
                    raise UnsupportedOpError(f"{self.where}tinygen takes an init subgraph of VAR_HANDLE and "
                                             "ASSIGN_VARIABLE of constants only (the variables' initial values)",
                                             "fold what the init subgraph computes into constants before converting")
        finally:
            self.sg, self.where = main, where

    def op_read_variable(self, i, op, ins, out, source) -> Node | None:
        known = self.variables
        key = self._resource_variable(ins[0])
        known.used = True
        if key in known.assigned:        # after an assign in this invocation: the value assigned
            self._same_bytes(key, known.assigned[key], out, "read after its assign")
            self.names[out] = known.assigned[key]
            return None
        if key in known.read:            # a second read before any assign: the first read's bytes
            self._same_bytes(key, known.read[key], out, "read twice")
            self.names[out] = known.read[key]
            return None
        value = self.new_activation(out, self.graph.unique_name(f"read_variable_{i}"))
        node = Node(value, "read_variable", [], [value], {"variable": key}, [{}], source)
        self.graph.nodes.append(node)
        known.read[key] = value
        known.nodes[key] = [node]
        return node

    def op_assign_variable(self, i, op, ins, out, source) -> None:
        known = self.variables
        key = self._resource_variable(ins[0])
        known.used = True
        if self.is_const(ins[1]):
            raise UnsupportedOpError(f"{self.where}assigns a constant in the main subgraph",
                                     "give the variable its value in the init subgraph (CALL_ONCE)")
        value = self.activation(ins[1])
        for other in (known.read.get(key), known.initial.get(key)):
            if other is not None and self.graph.tensors[other].nbytes != self.graph.tensors[value].nbytes:
                raise ModelError(f"{self.where}assigns {self.graph.tensors[value].nbytes} bytes to variable "
                                 f"{key!r} of {self.graph.tensors[other].nbytes}")
        known.assigned[key] = value

    def _same_bytes(self, key, tensor: str, out: int, what: str) -> None:
        """A read that is another tensor's bytes must agree with it on dtype, shape and quantization."""
        t = self.graph.tensors[tensor]
        if (self.act_dtype(out), self.shape(out)) != (t.dtype, t.shape) or not _same_q(self.qparams(out), t.qparams):
            raise UnsupportedOpError(f"{self.where}variable {key!r} {what} as another type, shape "
                                     "or quantization: tinygen keeps one per variable")

    def add_assigns(self) -> None:
        """After the main subgraph: per variable, its read's initial value and state, and one
        assign_variable node of its last assigned value (after the read, its second input)."""
        known = self.variables
        for key, read in known.read.items():
            if key not in known.assigned and key not in known.initial:
                raise UnsupportedOpError(f"variable {key!r} is read but nothing assigns it (TFLite "
                                         "Micro would read an unallocated buffer)",
                                         "give it an initial value in the init subgraph (CALL_ONCE)")
        for key, value in known.assigned.items():
            read = known.read.get(key)
            marker = self.graph.unique_name(f"assign_variable_{key}")
            self.graph.add_tensor(Tensor(marker, (1,), "int8", Kind.ACTIVATION, qparams=QParams(
                np.array([1.0], np.float32), np.array([0], np.int64))))
            inputs = [value] + ([read] if read is not None and read != value else [])
            node = Node(marker, "assign_variable", inputs, [marker], {"variable": key}, [{}],
                        f"ASSIGN_VARIABLE {key}")
            self.graph.nodes.append(node)
            known.nodes.setdefault(key, []).append(node)
        for key, nodes in known.nodes.items():
            # the first node owns the state: its initial value, or TFLite Micro's allocation (every
            # byte the zero point cast to int8, 0 unquantized)
            first = nodes[0]
            tensor = self.graph.tensors[known.assigned.get(key, first.outputs[0])]
            initial = known.initial.get(key)
            if initial is not None and self.graph.tensors[initial].nbytes != tensor.nbytes:
                raise ModelError(f"variable {key!r}: its initial value has "
                                 f"{self.graph.tensors[initial].nbytes} bytes, its reads and assigns {tensor.nbytes}")
            if initial is not None:
                first.set_param("initial", initial)
            zero = 0 if tensor.qparams is None else int(tensor.qparams.zero_point[0])
            for node in nodes:
                node.attrs.update({"state_of": first.name, "bytes": tensor.nbytes,
                                   "fill": int(np.array(zero).astype(np.int8).view(np.uint8))})


def _same_q(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.same_as(b)

