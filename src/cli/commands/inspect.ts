import { selectBackend } from '../../backends/index.js';
import { measureModel } from '../../measure/index.js';
import type { CliCommand } from '../command.js';
import { formatBytes } from '../shared/format.js';
import { inspectOnnx } from '../../onnx/inspect.js';
import { assertValidGraph } from '../../onnx/opset/validate.js';
import { describeIo, disposeLoaded, int8Hints, loadAnyModelForCli } from '../shared/model.js';
import { addJsonOption, addModelLoadOptions } from '../shared/options.js';
import { formatLayers, formatMeasurement } from '../shared/report.js';

export const inspectCommand: CliCommand = {
  name: 'inspect',
  register(program, io) {
    const cmd = program.command('inspect')
      .description('Show a model\'s layers, shapes, parameters, weight bits, sparsity and size on disk (no data needed).')
      .argument('<model>', 'a model folder, a model.json (any name), an .onnx file, or any model shrinkml writes');
    addJsonOption(cmd);
    addModelLoadOptions(cmd);
    cmd.action(async (modelPath: string, flags: { json?: boolean; allowNonfinite?: boolean }) => {
      // Counting weights needs no speed: the cpu backend is always there and never prints adapter noise.
      await selectBackend({ backend: 'cpu' });
      const loaded = await loadAnyModelForCli(modelPath, flags, io);
      try {
        // Refuse what onnxruntime would refuse (unknown op, cycle, ...) rather than describe it as a model.
        if (loaded.kind === 'onnx') assertValidGraph(loaded.model, loaded.source);
        const m = await measureModel({ loaded, latency: false, ...int8Hints(loaded) });
        const onnx = loaded.kind === 'onnx' ? inspectOnnx(loaded.model, loaded.source) : undefined;
        const shapes = describeIo(loaded);
        if (flags.json) {
          io.stdout(JSON.stringify({ ...m, ...shapes, files: m.size.files, ...(onnx ? { onnx } : {}) }, null, 2) + '\n');
          return;
        }
        io.stdout(`${loaded.source} (${onnx ? `ONNX IR ${onnx.irVersion}, opsets ${JSON.stringify(onnx.opsets)}, ${onnx.quantization}` : `tfjs ${loaded.kind} model`})\n`);
        if (onnx) io.stdout(`ops ${Object.entries(onnx.ops).map(([op, n]) => `${op}×${n}`).join(' ')}\n`);
        io.stdout(`inputs ${JSON.stringify(shapes.inputs)} -> outputs ${JSON.stringify(shapes.outputs)}\n\n`);
        io.stdout(formatLayers(m) + '\n');
        io.stdout(formatMeasurement(m));
        io.stdout(`files         ${m.size.files.map((f) => `${f.path} (${formatBytes(f.bytes)})`).join(', ')}\n`);
      } finally {
        disposeLoaded(loaded);
      }
    });
  },
};
