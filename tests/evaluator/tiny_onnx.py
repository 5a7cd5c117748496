"""A tiny ONNX classifier written as raw protobuf (no onnx package needed): it scores how
much of an image is pure red, so it flags the reference generator's marker and nothing else."""

from __future__ import annotations

import struct
from pathlib import Path

FLOAT = 1
ATTR_INTS = 7
ATTR_INT = 2


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _int(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _tensor(name: str, dims: list[int], values: list[float]) -> bytes:
    body = b"".join(_int(1, d) for d in dims) + _int(2, FLOAT) + _field(8, name.encode())
    return body + _field(9, struct.pack(f"<{len(values)}f", *values))


def _value_info(name: str, dims: list[int]) -> bytes:
    shape = b"".join(_field(1, _int(1, d)) for d in dims)
    tensor_type = _int(1, FLOAT) + _field(2, shape)
    return _field(1, name.encode()) + _field(2, _field(1, tensor_type))


def _node(op: str, inputs: list[str], output: str, attributes: bytes = b"") -> bytes:
    body = b"".join(_field(1, i.encode()) for i in inputs) + _field(2, output.encode())
    return body + _field(4, op.encode()) + attributes


def red_marker_classifier(path: Path, side: int) -> Path:
    """Input [1, 3, side, side] in [0, 1]; output [1, 1], near 1 where a pixel is pure red."""
    reduce_axes = _field(1, b"axes") + b"".join(_int(8, a) for a in (2, 3)) + _int(20, ATTR_INTS)
    keepdims = _field(1, b"keepdims") + _int(3, 0) + _int(20, ATTR_INT)
    graph = b"".join(
        [
            _field(1, _node("Conv", ["image", "weight", "bias"], "redness")),
            _field(
                1,
                _node(
                    "ReduceMax", ["redness"], "peak", _field(5, reduce_axes) + _field(5, keepdims)
                ),
            ),
            _field(1, _node("Sigmoid", ["peak"], "scores")),
            _field(2, b"red-marker"),
            # A pure red pixel scores 50 * (1 - 0 - 0 - 0.97) = 1.5; any other colour below 0.
            _field(5, _tensor("weight", [1, 3, 1, 1], [50.0, -50.0, -50.0])),
            _field(5, _tensor("bias", [1], [-48.5])),
            _field(11, _value_info("image", [1, 3, side, side])),
            _field(12, _value_info("scores", [1, 1])),
        ]
    )
    model = _int(1, 8) + _field(8, _field(1, b"") + _int(2, 13)) + _field(7, graph)
    path.write_bytes(model)
    return path
