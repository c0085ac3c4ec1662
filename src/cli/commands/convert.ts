import { Option } from 'commander';
import { convertToOnnx } from '../../onnx/index.js';
import { ShrinkmlError } from '../../core/errors.js';
import type { CliCommand } from '../command.js';
import { selectBackend } from '../../backends/index.js';
import { disposeLoaded, loadModelForCli } from '../shared/model.js';
import { addJsonOption, addModelLoadOptions } from '../shared/options.js';

interface ConvertFlags { to: string; out: string; force?: boolean; json?: boolean; allowNonfinite?: boolean }

export const convertCommand: CliCommand = {
  name: 'convert',
  register(program, io) {
    const cmd = program.command('convert')
      .description('Convert a TensorFlow.js LayersModel to ONNX (opset 13) that onnxruntime (node, web) runs. ' +
        'Inputs and outputs keep the tfjs layout (channels-last); Flatten keeps tfjs\'s order.')
      .argument('<model>', 'a tfjs LayersModel folder or model.json')
      .addOption(new Option('--to <format>', 'target format').choices(['onnx']).makeOptionMandatory())
      .addOption(new Option('--out <file>', 'the .onnx file to write; refused if it exists unless --force').makeOptionMandatory())
      .option('--force', 'replace an existing --out (never the input model)');
    addJsonOption(cmd);
    addModelLoadOptions(cmd);
    cmd.addHelpText('after', `
Layers: Dense, Conv2D, DepthwiseConv2D, SeparableConv2D, BatchNormalization, pooling, Flatten, Reshape,
ZeroPadding2D, Add/Subtract/Multiply/Maximum/Minimum/Average/Concatenate, activations, Dropout.

Example:
  $ shrinkml convert mnist-lenet5 --to onnx --out /tmp/lenet5.onnx
  $ shrinkml eval /tmp/lenet5.onnx --data mnist --reference mnist-lenet5`);
    cmd.action(async (modelPath: string, flags: ConvertFlags) => {
      if (!/\.onnx$/i.test(flags.out)) {
        throw new ShrinkmlError('BAD_INPUT', `--out ${flags.out}: an ONNX output must end in .onnx`, { subject: '--out' });
      }
      // Reading weights needs no speed; the cpu backend is always there.
      await selectBackend({ backend: 'cpu' });
      const loaded = await loadModelForCli(modelPath, flags, io);
      try {
        if (loaded.kind !== 'layers') {
          throw new ShrinkmlError('UNSUPPORTED', `${loaded.descriptorPath}: convert reads tfjs LayersModels; this is a ${loaded.kind} model`);
        }
        const { model: _proto, ...written } = await convertToOnnx({ model: loaded.model, out: flags.out, force: flags.force });
        if (flags.json) io.stdout(JSON.stringify({ input: loaded.descriptorPath, ...written }, null, 2) + '\n');
        else io.stdout(`wrote ${flags.out}\n`);
      } finally {
        disposeLoaded(loaded);
      }
    });
  },
};
