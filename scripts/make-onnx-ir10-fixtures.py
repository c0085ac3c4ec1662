#!/usr/bin/python3
"""Writes the IR 9/10 fixtures of test/onnx/ir10.test.ts with the onnx Python package (Debian python3-onnx).

onnx 1.12's helper API writes IR 8 protos, so the IR 9/10 additions that current exporters (onnx >= 1.16,
torch.onnx in PyTorch 2.x) write are added the way protobuf itself keeps fields it does not know: as serialized
fields merged into the message (MergeFromString), which the Python protobuf runtime writes back out verbatim.
  /usr/bin/python3 scripts/make-onnx-ir10-fixtures.py test/onnx/fixtures
"""
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def varint(v):
    out = b''
    while v >= 0x80:
        out += bytes([(v & 0x7F) | 0x80])
        v >>= 7
    return out + bytes([v])


def field(number, payload):
    """A length-delimited field (string, bytes or message)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def entry(key, value):
    """A StringStringEntryProto."""
    return field(1, key.encode()) + field(2, value.encode())


def add(message, *fields):
    message.MergeFromString(b''.join(fields))


def opset18(out):
    """IR 10, opset 18 + com.microsoft: what torch.onnx.export writes by default, with a model-local function."""
    w = numpy_helper.from_array(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3), 'w')
    add(w, field(16, entry('exporter.note', 'weight')))                        # TensorProto.metadata_props (IR 10)
    b = numpy_helper.from_array(np.array([0.1, -0.2, 0.3], dtype=np.float32), 'b')
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), 'axes')
    # A model-local function (custom.Scale(x) = x * alpha + 1) with IR 10's overload and the IR 9/10 fields.
    f = helper.make_function('custom', 'Scale', ['X'], ['Y'], [
        helper.make_node('Constant', [], ['one'], value_float=1.0),
        helper.make_node('Constant', [], ['alpha'], value_float=0.5),
        helper.make_node('Mul', ['X', 'alpha'], ['t']),
        helper.make_node('Add', ['t', 'one'], ['Y']),
    ], [helper.make_opsetid('', 18)])
    add(f, field(12, helper.make_tensor_value_info('X', TensorProto.FLOAT, None).SerializeToString()),  # value_info
        field(13, b'v2'),                                                       # overload
        field(14, entry('function.note', 'local')))                             # metadata_props
    mm = helper.make_node('MatMul', ['x', 'w'], ['h'], name='matmul')
    add(mm, field(9, entry('pkg.module', 'encoder.layers.0.fc')))             # NodeProto.metadata_props (IR 10)
    call = helper.make_node('Scale', ['h2'], ['s'], name='scale', domain='custom')
    add(call, field(8, b'v2'))                                                  # NodeProto.overload (IR 10)
    nodes = [
        mm,
        helper.make_node('Add', ['h', 'b'], ['h1'], name='bias'),
        helper.make_node('Gelu', ['h1'], ['h2'], name='gelu', domain='com.microsoft'),
        call,
        helper.make_node('ReduceMean', ['s', 'axes'], ['m'], name='mean', keepdims=1),  # axes input: opset 18
        helper.make_node('Sub', ['s', 'm'], ['y'], name='center'),
    ]
    x = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 4])
    add(x, field(4, entry('input.note', 'features')))                           # ValueInfoProto.metadata_props (IR 10)
    y = helper.make_tensor_value_info('y', TensorProto.FLOAT, ['batch', 3])
    graph = helper.make_graph(nodes, 'torch_jit', [x], [y], [w, b, axes])
    add(graph, field(16, entry('graph.note', 'main')))                         # GraphProto.metadata_props (IR 10)
    model = helper.make_model(graph, ir_version=10, producer_name='pytorch', producer_version='2.5.0', functions=[f],
                              opset_imports=[helper.make_opsetid('', 18), helper.make_opsetid('com.microsoft', 1),
                                             helper.make_opsetid('custom', 1)])
    onnx.save(model, out)


def int4(out):
    """IR 10, opset 21: INT4 weights (two a byte, low nibble first) and a FLOAT8E4M3FN tensor, dequantized."""
    q = np.array([-8, -3, 0, 1, 7, 2, -1, 5, 3, -6, 4, 6], dtype=np.int64)
    packed = bytes(((int(q[i]) & 0xF) | ((int(q[i + 1]) & 0xF) << 4)) for i in range(0, len(q), 2))
    w4 = TensorProto(name='w4', dims=[4, 3], raw_data=packed)
    w4.data_type = 22                                                           # INT4 (IR 10)
    f8 = TensorProto(name='f8', dims=[3], raw_data=bytes([0x38, 0x40, 0xB0]))  # 1, 2, -0.5
    f8.data_type = 17                                                           # FLOAT8E4M3FN (IR 9)
    scale = numpy_helper.from_array(np.array(0.25, dtype=np.float32), 'scale')
    one = numpy_helper.from_array(np.array(1.0, dtype=np.float32), 'one')
    nodes = [
        helper.make_node('DequantizeLinear', ['w4', 'scale'], ['w'], name='dq_w4'),
        helper.make_node('DequantizeLinear', ['f8', 'one'], ['g'], name='dq_f8'),
        helper.make_node('MatMul', ['x', 'w'], ['h'], name='matmul'),
        helper.make_node('Mul', ['h', 'g'], ['y'], name='gain'),
    ]
    graph = helper.make_graph(nodes, 'int4', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2, 4])],
                              [helper.make_tensor_value_info('y', TensorProto.FLOAT, [2, 3])], [w4, f8, scale, one])
    model = helper.make_model(graph, ir_version=10, producer_name='onnx', opset_imports=[helper.make_opsetid('', 21)])
    onnx.save(model, out)


if __name__ == '__main__':
    folder = sys.argv[1] if len(sys.argv) > 1 else 'test/onnx/fixtures'
    opset18(f'{folder}/ir10-opset18.onnx')
    int4(f'{folder}/ir10-int4.onnx')
