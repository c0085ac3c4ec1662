#!/usr/bin/env python3
"""PyTorch yardstick for `shrinkml bench` (issue 8).

Rebuilds a shrinkml (tfjs Layers) model in PyTorch with the same fp32 weights, checks that the transfer is exact on
the same test samples, then runs PyTorch's own post-training quantization on it: dynamic (Linear -> qint8) and
static eager-mode PTQ (fuse -> prepare -> calibrate -> convert) with the engine's default qconfig (histogram
observer) and with a min/max observer (the same observer as shrinkml's ptq-static-minmax). Each variant reports
accuracy, drop against PyTorch fp32, state_dict size (torch.save, raw and gzip -9) and batch-1 latency.

    python3 bench/pytorch/yardstick.py SPEC.json > result.json      (progress on stderr)

Needs torch only (Debian python3-torch). SPEC.json is written by src/pipeline/yardstick/export.ts:

    {"inputShape": [28, 28, 1],                       per-sample, channels-last as tfjs has it
     "layers": [{"class": "Conv2D", "name": "conv1", "config": {...tfjs getConfig subset...},
                 "weights": {"kernel": {"shape": [5, 5, 1, 6], "offset": 0}, ...}}, ...],
     "weights": "weights.f32",                        float32 little-endian, offsets in bytes
     "test": {"x": "test-x.f32", "labels": "test-labels.i32", "count": 10000},
     "reference": "test-reference.f32",               the tfjs fp32 model's outputs on test, count x classes
     "calibration": {"x": "calibration-x.f32", "count": 512, "batchSize": 128},
     "batchSize": 256, "threads": 1, "latency": {"runs": 100, "warmup": 10} or null,
     "variants": ["fp32", "dynamic", "static-histogram", "static-minmax"],
     "savePredictions": "fp32-probs.f32" (optional)}

Relative paths are relative to SPEC.json's folder. Exit status 2 (with {"error": ...} on stdout) means the
architecture is outside what this script rebuilds; any other failure exits 1.
"""
import array
import gzip
import io
import json
import os
import platform
import sys
import time
from collections import OrderedDict

import torch
import torch.nn as nn
from torch.ao.quantization import (DeQuantStub, MinMaxObserver, QConfig, QuantStub, convert, fuse_modules,
                                   get_default_qconfig, prepare, quantize_dynamic)

# The weight transfer must reproduce tfjs's fp32 accuracy to within one sample in 10,000.
TRANSFER_TOLERANCE_PT = 0.01
ENGINE_PREFERENCE = ['x86', 'fbgemm', 'onednn', 'qnnpack']


class Unsupported(Exception):
    pass


def log(msg):
    print(f'pytorch: {msg}', file=sys.stderr, flush=True)


def read_f32(path, count=None):
    with open(path, 'rb') as f:
        t = torch.frombuffer(bytearray(f.read()), dtype=torch.float32)
    if count is not None and t.numel() != count:
        raise ValueError(f'{path}: expected {count} float32 values, found {t.numel()}')
    return t


def read_i32(path):
    with open(path, 'rb') as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.int32).long()


class NHWCFlatten(nn.Module):
    """tfjs flattens channels-last; used only when no Dense follows whose weights could absorb the order."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).contiguous().flatten(1)


class Net(nn.Module):
    def __init__(self, body, softmax):
        super().__init__()
        self.quant = QuantStub()
        self.body = body
        self.dequant = DeQuantStub()
        self.softmax = softmax

    def forward(self, x):
        x = self.dequant(self.body(self.quant(x)))
        return torch.softmax(x, dim=1) if self.softmax else x


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def module_name(name, used):
    base = ''.join(c if c.isalnum() or c == '_' else '_' for c in name) or 'layer'
    n, i = base, 1
    while n in used:
        i += 1
        n = f'{base}_{i}'
    used.add(n)
    return n


def same_padding(size, k, s, d):
    """TF 'same' padding (before, after) for one spatial dimension."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2, out


def build(spec, blob):
    """The float model, plus the fusable module groups for static quantization."""
    def weight(layer, key, required=True):
        w = layer['weights'].get(key)
        if w is None:
            if required:
                raise ValueError(f"layer {layer['name']}: weight '{key}' missing")
            return None
        n = 1
        for d in w['shape']:
            n *= d
        start = w['offset'] // 4
        return blob[start:start + n].reshape(w['shape']).clone()

    shape = list(spec['inputShape'])
    if len(shape) == 3:
        h, w, c = shape
        state = {'kind': 'spatial', 'c': c, 'h': h, 'w': w}
    elif len(shape) == 1:
        state = {'kind': 'flat', 'f': shape[0], 'order': None}
    else:
        raise Unsupported(f'input shape {shape}: only [features] and [height, width, channels] inputs are rebuilt')

    mods = OrderedDict()
    kinds = []  # parallel to mods: 'conv', 'bn', 'relu', 'linear', other
    used = set()
    softmax = False
    layers = spec['layers']

    def add(name, module, kind):
        if softmax:
            raise Unsupported(f'softmax before layer {name}: only a final softmax is rebuilt')
        mods[module_name(name, used)] = module
        kinds.append(kind)

    def activation(layer, act):
        nonlocal softmax
        if act in (None, 'linear'):
            return
        if act == 'relu':
            add(layer['name'] + '_relu' if layer['class'] != 'Activation' else layer['name'], nn.ReLU(), 'relu')
        elif act == 'relu6':
            add(layer['name'] + '_relu6' if layer['class'] != 'Activation' else layer['name'], nn.ReLU6(), 'other')
        elif act == 'softmax':
            if state['kind'] != 'flat':
                raise Unsupported(f"layer {layer['name']}: softmax over a spatial tensor")
            softmax = True
        else:
            raise Unsupported(f"layer {layer['name']}: activation '{act}' (rebuilt: linear, relu, relu6, final softmax)")

    for i, layer in enumerate(layers):
        cls, cfg, name = layer['class'], layer['config'], layer['name']
        if softmax:
            raise Unsupported(f'layer {name} follows a softmax: only a final softmax is rebuilt')
        if cls in ('InputLayer', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout'):
            continue  # identity at inference
        if cls == 'Dense':
            if state['kind'] != 'flat':
                raise Unsupported(f'layer {name}: Dense on a spatial tensor (tfjs applies it to the last axis)')
            kernel = weight(layer, 'kernel')
            fin, units = kernel.shape
            if fin != state['f']:
                raise ValueError(f'layer {name}: kernel has {fin} inputs, the tensor has {state["f"]} features')
            if state['order'] is not None:
                # Rows are in tfjs's channels-last flatten order (h, w, c); PyTorch flattens (c, h, w).
                c, h, w = state['order']
                kernel = kernel.reshape(h, w, c, units).permute(2, 0, 1, 3).reshape(fin, units)
                state['order'] = None
            bias = weight(layer, 'bias', cfg.get('useBias', True))
            lin = nn.Linear(fin, units, bias=bias is not None)
            with torch.no_grad():
                lin.weight.copy_(kernel.t())
                if bias is not None:
                    lin.bias.copy_(bias)
            add(name, lin, 'linear')
            state['f'] = units
            activation(layer, cfg.get('activation'))
        elif cls == 'Conv2D':
            if state['kind'] != 'spatial':
                raise Unsupported(f'layer {name}: Conv2D on a flat tensor')
            if cfg.get('dataFormat', 'channelsLast') != 'channelsLast':
                raise Unsupported(f'layer {name}: channels-first Conv2D')
            kernel = weight(layer, 'kernel')
            kh, kw, cin, cout = kernel.shape
            (sh, sw), (dh, dw) = pair(cfg.get('strides', 1)), pair(cfg.get('dilationRate', 1))
            if cfg.get('padding', 'valid') == 'same':
                ph0, ph1, oh = same_padding(state['h'], kh, sh, dh)
                pw0, pw1, ow = same_padding(state['w'], kw, sw, dw)
                if ph0 != ph1 or pw0 != pw1:
                    raise Unsupported(f"layer {name}: asymmetric 'same' padding")
                pad = (ph0, pw0)
            elif cfg.get('padding', 'valid') == 'valid':
                pad = (0, 0)
                oh = (state['h'] - dh * (kh - 1) - 1) // sh + 1
                ow = (state['w'] - dw * (kw - 1) - 1) // sw + 1
            else:
                raise Unsupported(f"layer {name}: padding '{cfg.get('padding')}'")
            bias = weight(layer, 'bias', cfg.get('useBias', True))
            conv = nn.Conv2d(cin, cout, (kh, kw), stride=(sh, sw), padding=pad, dilation=(dh, dw), bias=bias is not None)
            with torch.no_grad():
                conv.weight.copy_(kernel.permute(3, 2, 0, 1))
                if bias is not None:
                    conv.bias.copy_(bias)
            add(name, conv, 'conv')
            state.update(c=cout, h=oh, w=ow)
            activation(layer, cfg.get('activation'))
        elif cls == 'BatchNormalization':
            axis = cfg.get('axis', -1)
            axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
            channels = state['c'] if state['kind'] == 'spatial' else state['f']
            if axis not in (-1, 3 if state['kind'] == 'spatial' else 1):
                raise Unsupported(f'layer {name}: BatchNormalization over axis {axis}')
            if state['kind'] == 'flat' and state['order'] is not None:
                raise Unsupported(f'layer {name}: BatchNormalization right after a Flatten')
            bn = (nn.BatchNorm2d if state['kind'] == 'spatial' else nn.BatchNorm1d)(channels, eps=cfg.get('epsilon', 1e-3))
            with torch.no_grad():
                gamma = weight(layer, 'gamma', cfg.get('scale', True))
                beta = weight(layer, 'beta', cfg.get('center', True))
                bn.weight.copy_(gamma if gamma is not None else torch.ones(channels))
                bn.bias.copy_(beta if beta is not None else torch.zeros(channels))
                bn.running_mean.copy_(weight(layer, 'moving_mean'))
                bn.running_var.copy_(weight(layer, 'moving_variance'))
            add(name, bn, 'bn')
        elif cls == 'Activation':
            activation(layer, cfg.get('activation'))
        elif cls in ('MaxPooling2D', 'AveragePooling2D'):
            if state['kind'] != 'spatial' or cfg.get('dataFormat', 'channelsLast') != 'channelsLast':
                raise Unsupported(f'layer {name}: {cls} needs a channels-last spatial tensor')
            (kh, kw), strides = pair(cfg.get('poolSize', 2)), cfg.get('strides')
            sh, sw = pair(strides) if strides is not None else (kh, kw)
            if cfg.get('padding', 'valid') == 'same':
                ph0, ph1, oh = same_padding(state['h'], kh, sh, 1)
                pw0, pw1, ow = same_padding(state['w'], kw, sw, 1)
                if ph0 or ph1 or pw0 or pw1:
                    raise Unsupported(f"layer {name}: padded 'same' pooling")
            else:
                oh, ow = (state['h'] - kh) // sh + 1, (state['w'] - kw) // sw + 1
            pool = (nn.MaxPool2d if cls == 'MaxPooling2D' else nn.AvgPool2d)((kh, kw), stride=(sh, sw))
            add(name, pool, 'other')
            state.update(h=oh, w=ow)
        elif cls == 'Flatten':
            if state['kind'] == 'flat':
                continue
            order = (state['c'], state['h'], state['w'])
            f = order[0] * order[1] * order[2]
            # Elementwise layers between Flatten and Dense do not care about the order, so the Dense can absorb it.
            nxt = next((l for l in layers[i + 1:] if not (l['class'] == 'Dropout' or (
                l['class'] == 'Activation' and l['config'].get('activation') in ('relu', 'relu6', 'linear')))), None)
            if nxt is not None and nxt['class'] == 'Dense':
                add(name, nn.Flatten(), 'other')
                state = {'kind': 'flat', 'f': f, 'order': order}
            else:
                add(name, NHWCFlatten(), 'other')
                state = {'kind': 'flat', 'f': f, 'order': None}
        else:
            raise Unsupported(f'layer {name}: {cls} (rebuilt: Dense, Conv2D, BatchNormalization, Activation, '
                              'MaxPooling2D, AveragePooling2D, Flatten, Dropout)')
    if state['kind'] != 'flat':
        raise Unsupported('the model ends on a spatial tensor; only classifiers with a flat output are rebuilt')

    names = list(mods.keys())
    groups, j = [], 0
    while j < len(names):
        for pattern in (['conv', 'bn', 'relu'], ['conv', 'bn'], ['conv', 'relu'], ['bn', 'relu'], ['linear', 'relu']):
            if kinds[j:j + len(pattern)] == pattern:
                # BatchNorm1d + ReLU has no fused int8 module.
                if pattern == ['bn', 'relu'] and not isinstance(mods[names[j]], nn.BatchNorm2d):
                    continue
                groups.append(names[j:j + len(pattern)])
                j += len(pattern)
                break
        else:
            j += 1
    return Net(nn.Sequential(mods), softmax).eval(), groups


def to_model_input(x, count, input_shape):
    x = x.reshape([count] + list(input_shape))
    return x.permute(0, 3, 1, 2).contiguous() if len(input_shape) == 3 else x


@torch.no_grad()
def predict(model, x, batch_size):
    return torch.cat([model(x[s:s + batch_size]) for s in range(0, x.shape[0], batch_size)])


def sizes(model):
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    data = buf.getvalue()
    return len(data), len(gzip.compress(data, compresslevel=9))


def nearest_rank(values, p):
    s = sorted(values)
    return s[max(1, -(-p * len(s) // 100)) - 1]


def latency(model, input_shape, runs, warmup):
    x = torch.rand([1] + (input_shape if len(input_shape) == 1 else [input_shape[2], input_shape[0], input_shape[1]]))
    times = []
    with torch.inference_mode():
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            model(x)
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1000)
    return nearest_rank(times, 50), nearest_rank(times, 95)


def cpu_name():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def calibrated(spec, blob, groups, qconfig, cx, batch):
    """Eager-mode static PTQ on a fresh copy of the float model: fuse, prepare, calibrate, convert."""
    m = build(spec, blob)[0]
    if groups:
        m.body = fuse_modules(m.body, groups)
    m.qconfig = qconfig
    prepared = prepare(m)
    predict(prepared, cx, batch)
    return convert(prepared)


def run(spec, here):
    at = lambda p: os.path.join(here, p)
    threads = int(spec.get('threads', 1))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    engines = torch.backends.quantized.supported_engines
    engine = next((e for e in ENGINE_PREFERENCE if e in engines), None)
    if engine is None:
        raise Unsupported(f'this torch build has no int8 engine (supported_engines: {engines})')
    torch.backends.quantized.engine = engine
    blob = read_f32(at(spec['weights']))
    float_model, groups = build(spec, blob)

    input_shape = list(spec['inputShape'])
    per_sample = 1
    for d in input_shape:
        per_sample *= d
    n = int(spec['test']['count'])
    x = to_model_input(read_f32(at(spec['test']['x']), n * per_sample), n, input_shape)
    labels = read_i32(at(spec['test']['labels']))
    if labels.numel() != n:
        raise ValueError(f"{spec['test']['labels']}: expected {n} labels, found {labels.numel()}")
    batch = int(spec.get('batchSize', 256))
    lat = spec.get('latency')
    variants = spec.get('variants', ['fp32', 'dynamic', 'static-histogram', 'static-minmax'])
    log(f'torch {torch.__version__}, engine {engine}, {threads} thread(s), {n} test samples')

    def accuracy(out):
        return (out.argmax(1) == labels).double().mean().item()

    result = {
        'torch': torch.__version__, 'python': platform.python_version(), 'engine': engine, 'threads': threads,
        'cpu': cpu_name(), 'samples': n, 'batchSize': batch, 'calibrationSamples': 0, 'variants': [],
    }
    out = predict(float_model, x, batch)
    fp32_acc = accuracy(out)

    def record(name, description, model, outputs, seconds, qconfig=None):
        acc = accuracy(outputs)
        nbytes, gz = sizes(model)
        row = {'name': name, 'description': description, 'accuracy': acc, 'drop': 100 * (fp32_acc - acc),
               'bytes': nbytes, 'gzipBytes': gz}
        if seconds is not None:
            row['seconds'] = seconds
        if qconfig is not None:
            row['qconfig'] = qconfig
        if lat:
            row['p50Ms'], row['p95Ms'] = latency(model, input_shape, int(lat['runs']), int(lat['warmup']))
        result['variants'].append(row)
        log(f"{name}: accuracy {100 * acc:.2f}%, {nbytes} B ({gz} B gzip)" + (f", p50 {row['p50Ms']:.3f} ms" if lat else ''))

    if spec.get('savePredictions'):
        with open(at(spec['savePredictions']), 'wb') as f:
            f.write(array.array('f', out.flatten().tolist()).tobytes())
    if spec.get('reference'):
        reference = read_f32(at(spec['reference'])).reshape(n, -1)
        if reference.shape != out.shape:
            raise ValueError(f'reference outputs have shape {list(reference.shape)}, PyTorch gives {list(out.shape)}')
        tf_acc = accuracy(reference)
        agreement = (reference.argmax(1) == out.argmax(1)).double().mean().item()
        max_abs = (reference - out).abs().max().item()
        ok = abs(100 * (tf_acc - fp32_acc)) <= TRANSFER_TOLERANCE_PT
        result['transfer'] = {'tfjsAccuracy': tf_acc, 'torchAccuracy': fp32_acc, 'agreement': agreement,
                              'maxAbsDiff': max_abs, 'tolerancePt': TRANSFER_TOLERANCE_PT, 'ok': ok}
        log(f"weight transfer: tfjs {100 * tf_acc:.2f}% vs PyTorch {100 * fp32_acc:.2f}%, top-1 agreement "
            f"{100 * agreement:.2f}%, max |diff| {max_abs:.2e}: {'ok' if ok else 'MISMATCH'}")

    if 'fp32' in variants:
        record('fp32', 'the same architecture and fp32 weights in PyTorch', float_model, out, None)
    if 'dynamic' in variants:
        t0 = time.perf_counter()
        dyn = quantize_dynamic(float_model, {nn.Linear}, dtype=torch.qint8)
        seconds = time.perf_counter() - t0
        record('dynamic', 'quantize_dynamic: Linear weights qint8, activations quantized per batch at run time',
               dyn, predict(dyn, x, batch), seconds, 'default_dynamic_qconfig: MinMaxObserver weights (qint8, per-tensor symmetric)')

    static = [v for v in variants if v.startswith('static-')]
    if static:
        cal = spec.get('calibration')
        if not cal:
            raise ValueError('static quantization needs "calibration" samples in the spec')
        cn = int(cal['count'])
        cx = to_model_input(read_f32(at(cal['x']), cn * per_sample), cn, input_shape)
        result['calibrationSamples'] = cn
        default = get_default_qconfig(engine)
        w = default.weight()
        weights = f'{type(w).__name__} weights ({w.dtype}, {w.qscheme})'
        act = default.activation()
        qconfigs = {
            'static-histogram': (default, f'get_default_qconfig({engine!r}): {type(act).__name__} activations '
                                          f'(reduce_range={act.reduce_range}), {weights}'),
            # The default's reduce_range (fbgemm and x86 give activations 7 bits), only the observer changes.
            'static-minmax': (QConfig(activation=MinMaxObserver.with_args(reduce_range=act.reduce_range), weight=default.weight),
                              f'MinMaxObserver activations (reduce_range={act.reduce_range}), {weights} as get_default_qconfig({engine!r})'),
        }
        fused = ', '.join('+'.join(g) for g in groups) or 'nothing'
        for name in static:
            if name not in qconfigs:
                raise ValueError(f'unknown variant {name} (known: fp32, dynamic, {", ".join(qconfigs)})')
            qconfig, what = qconfigs[name]
            t0 = time.perf_counter()
            q = calibrated(spec, blob, groups, qconfig, cx, int(cal.get('batchSize', 128)))
            seconds = time.perf_counter() - t0
            record(name, f'eager-mode static PTQ ({engine}; fused {fused}), calibrated on {cn} samples',
                   q, predict(q, x, batch), seconds, what)
    return result


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    started = time.perf_counter()
    spec_path = os.path.abspath(argv[1])
    with open(spec_path) as f:
        spec = json.load(f)
    try:
        result = run(spec, os.path.dirname(spec_path))
    except Unsupported as e:
        print(json.dumps({'error': {'code': 'UNSUPPORTED', 'message': str(e)}}))
        return 2
    result['totalSeconds'] = time.perf_counter() - started
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
