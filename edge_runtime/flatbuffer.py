"""A bounds-checked walk over the top of a TFLite flatbuffer, with nothing but struct.

It reads what the runtime needs before an interpreter sees the file (some interpreter
builds crash, rather than raise, on a damaged flatbuffer): every offset and length of
the root table, subgraphs, operators, operator codes, buffers and metadata entries is
checked to stay inside the file, which is what a truncated download or copy breaks.
Field numbers are those of the TFLite schema (``schema.fbs``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

# Model table fields.
_OPERATOR_CODES, _SUBGRAPHS, _BUFFERS, _METADATA = 1, 2, 4, 6
# OperatorCode: deprecated_builtin_code (int8), custom_code (string), builtin_code (int32).
_DEPRECATED_CODE, _CUSTOM_CODE, _BUILTIN_CODE = 0, 1, 3
_SUBGRAPH_OPERATORS = 3  # SubGraph.operators; Operator.opcode_index is field 0
_BUFFER_DATA, _BUFFER_OFFSET, _BUFFER_SIZE = 0, 1, 2
_METADATA_NAME, _METADATA_BUFFER = 0, 1
CUSTOM = 32  # BuiltinOperator.CUSTOM


class Damaged(Exception):
    """An offset or length of the flatbuffer points outside the file."""


@dataclass(frozen=True)
class Summary:
    """What the walk found.

    Attributes:
        op_codes: (builtin code, custom code or "") of each operator code.
        ops: the operator-code index of every operator, all subgraphs.
        metadata: (name, data start, data length) of each metadata entry; start is -1
            when its buffer holds no inline data.
    """

    op_codes: tuple[tuple[int, str], ...]
    ops: tuple[int, ...]
    metadata: tuple[tuple[str, int, int], ...]

    def custom_ops(self) -> list[str]:
        """The custom operators the model uses (a delegate or custom op resolver runs them)."""
        return sorted({self.op_codes[i][1] for i in set(self.ops) if i < len(self.op_codes)} - {""})


def walk(buf: bytes | memoryview) -> Summary:
    """Walk a flatbuffer (see the module docstring).

    Raises:
        Damaged: an offset or length points outside the buffer, or there is no subgraph.
        struct.error: a read ran past the end.
    """
    view = memoryview(buf)
    size = len(view)

    def u32(pos: int) -> int:
        if not 0 <= pos <= size - 4:
            raise Damaged(f"offset {pos} outside {size} bytes")
        return int(struct.unpack_from("<I", view, pos)[0])

    def table(pos: int) -> tuple[int, int, int]:
        if not 0 <= pos <= size - 4:
            raise Damaged(f"table {pos} outside {size} bytes")
        vtable = pos - struct.unpack_from("<i", view, pos)[0]
        if not 0 <= vtable <= size - 4:
            raise Damaged(f"vtable {vtable} outside {size} bytes")
        vt_size, obj_size = struct.unpack_from("<HH", view, vtable)
        if vtable + vt_size > size or pos + obj_size > size:
            raise Damaged(f"table at {pos} runs past the end")
        return pos, vtable, vt_size

    def field(t: tuple[int, int, int], number: int) -> int:
        pos, vtable, vt_size = t
        slot = 4 + 2 * number
        if slot >= vt_size:
            return 0
        at = int(struct.unpack_from("<H", view, vtable + slot)[0])
        return pos + at if at else 0  # 0: the field is absent (its default)

    def vector(at: int, item_size: int) -> tuple[int, int]:
        start = at + u32(at)
        length = u32(start)
        if start + 4 + length * item_size > size:
            raise Damaged(f"vector at {start} of {length} items runs past the end")
        return start + 4, length

    def tables(at: int) -> list[tuple[int, int, int]]:
        if not at:
            return []
        first, count = vector(at, 4)
        return [table(first + 4 * i + u32(first + 4 * i)) for i in range(count)]

    def string(at: int) -> str:
        if not at:
            return ""
        start, length = vector(at, 1)
        return bytes(view[start : start + length]).decode("utf-8", "replace")

    model = table(u32(0))
    subgraphs = tables(field(model, _SUBGRAPHS))
    if not subgraphs:
        raise Damaged("no subgraphs")
    codes = []
    for code in tables(field(model, _OPERATOR_CODES)):
        old = field(code, _DEPRECATED_CODE)
        new = field(code, _BUILTIN_CODE)
        builtin = max(
            struct.unpack_from("<b", view, old)[0] if old else 0,
            struct.unpack_from("<i", view, new)[0] if new else 0,
        )
        codes.append((builtin, string(field(code, _CUSTOM_CODE))))
    ops = []
    for subgraph in subgraphs:
        for op in tables(field(subgraph, _SUBGRAPH_OPERATORS)):
            index = field(op, 0)
            ops.append(u32(index) if index else 0)
    buffers = tables(field(model, _BUFFERS))
    data_of = []
    for i, buffer in enumerate(buffers):
        data = field(buffer, _BUFFER_DATA)
        data_of.append(vector(data, 1) if data else (-1, 0))
        offset_at, size_at = field(buffer, _BUFFER_OFFSET), field(buffer, _BUFFER_SIZE)
        if offset_at and size_at:
            # Large models keep weights after the flatbuffer, addressed by offset/size.
            offset = struct.unpack_from("<Q", view, offset_at)[0]
            length = struct.unpack_from("<Q", view, size_at)[0]
            if offset > 1 and offset + length > size:
                raise Damaged(f"buffer {i} ends at {offset + length}, past the end")
    metadata = []
    for entry in tables(field(model, _METADATA)):
        at = field(entry, _METADATA_BUFFER)
        index = u32(at) if at else 0
        if index >= len(data_of):
            raise Damaged(f"metadata names buffer {index} of {len(data_of)}")
        metadata.append((string(field(entry, _METADATA_NAME)), *data_of[index]))
    return Summary(tuple(codes), tuple(ops), tuple(metadata))


def op_counts(summary: Summary) -> dict[str, int]:
    """How many operators of each kind the model runs, by TFLite name (``CONV_2D``),
    custom operators by their custom code; in order of first use."""
    names = _builtin_names()
    counts: dict[str, int] = {}
    for index in summary.ops:
        builtin, custom = summary.op_codes[index] if index < len(summary.op_codes) else (-1, "")
        name = custom if builtin == CUSTOM and custom else names.get(builtin, f"BUILTIN_{builtin}")
        counts[name] = counts.get(name, 0) + 1
    return counts


def _builtin_names() -> dict[int, str]:
    try:  # the schema's names ship with LiteRT; without it, numbers do
        from ai_edge_litert.schema_py_generated import BuiltinOperator
    except ImportError:
        return {}
    return {
        int(value): name
        for name, value in vars(BuiltinOperator).items()
        if not name.startswith("_") and isinstance(value, int)
    }
