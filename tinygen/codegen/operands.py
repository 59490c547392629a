"""Emitting the layers whose operands come in a fixed order of roles, each an activation or a
constant (tinygen.ir.ROLE_OPERAND_OPS: compare, logical, select, kernels in
firmware/kernels/select/; gather, firmware/kernels/layout/), and those taking their activations as one array of pointers (add_n)."""

from __future__ import annotations

from tinygen.codegen.cformat import C_TYPES, c_struct_init
from tinygen.ir import ROLE_OPERAND_OPS, Graph, Node, role_operands


def emit_roles(graph: Graph, node: Node, spec, layer, arrays: dict[str, str], arena_ptr) -> None:
    """kernel(&params, operands in role order, output): an activation's arena pointer or a constant's
    flash array, an absent operand (LOGICAL_NOT's second) NULL. arena_ptr(tensor, read_only): its pointer."""
    pname = f"{layer.name}_params"
    layer.statics.append(f"static const {spec.struct} {pname} = {{\n{c_struct_init(node.attrs['kparams'])}\n}};")
    operands = [arrays[t] if graph.tensor(t).is_const else arena_ptr(t, True) for t in role_operands(node)]
    operands += ["NULL"] * (len(ROLE_OPERAND_OPS[node.op]) - len(operands))
    layer.body.append(f"{spec.name}(&{pname}, {', '.join(operands)}, {arena_ptr(node.outputs[0], False)});")


def emit_input_list(graph: Graph, node: Node, spec, layer, arrays: dict[str, str], arena_ptr) -> None:
    """kernel(&params, inputs, output), inputs a local array of the activations' arena pointers."""
    pname = f"{layer.name}_params"
    layer.statics.append(f"static const {spec.struct} {pname} = {{\n{c_struct_init(node.attrs['kparams'])}\n}};")
    inputs = ", ".join(arena_ptr(t, True) for t in node.inputs)
    layer.body.append(f"const {C_TYPES[graph.tensor(node.inputs[0]).dtype]} *const inputs[{len(node.inputs)}] = "
                      f"{{{inputs}}};")
    layer.body.append(f"{spec.name}(&{pname}, inputs, {arena_ptr(node.outputs[0], False)});")
