import { InvalidArgumentError, Option, type Command } from 'commander';
import { SPLITS } from '../../data/index.js';

/** Commander parser for positive integers: a bad value is a usage error naming the flag. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

export function intList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length) throw new InvalidArgumentError(`expected a comma-separated list of positive integers, got '${value}'`);
  return parts.map(positiveInt);
}

export function addJsonOption(command: Command): Command {
  return command.option('--json', 'print one JSON document on stdout (progress and logs go to stderr)');
}

export function addModelLoadOptions(command: Command): Command {
  return command.option('--allow-nonfinite', 'warn about NaN/Infinity weights instead of refusing the model');
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * The help section on --data: what each kind of source becomes, image scaling, and (for commands that take the
 * input flags) several inputs and recurrent state.
 */
export function dataHelp(o: { feeding: boolean }): string {
  const lines = [
    'Data (--data):',
    '  mnist | fashion-mnist      built-in sets (labelled)',
    '  x.npy | x.npy,y.npy        samples as saved (uint8 = pixels, scaled by 1/255); free dims take the array\'s',
    '  photos/                    JPEG/PNG images, class subfolders = labels; resized to the model input, channels',
    '                             first or last as the graph declares, in a seeded order; free height/width take',
    '                             the images\' size when they share one' + (o.feeding ? ' (else give --input-shape)' : ''),
    'Images are scaled by --input-range lo,hi (0,1 by default; 0,255; -1,1), then per channel by --mean/--std in',
    'the units of the range, e.g. ImageNet: --input-range 0,1 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225.',
  ];
  if (o.feeding) {
    lines.push(
      'Several inputs: --data name=<folder|file.npy> once per data input; other inputs from --input name=value.',
      'Recurrent/streaming models (state inputs with outputs of the same dims: h → hn, state → stateN) take the',
      'samples as frames of one stream, the state fed back frame by frame, for fidelity and calibration; --state',
      'in=out sets the pairs, --state none turns it off. e.g. Silero VAD on 512-sample frames of speech:',
      '    shrinkml compress silero_vad.onnx --out vad.onnx --quantize dynamic --data frames.npy --input sr=16000',
    );
  }
  return lines.join('\n');
}

export function addDataOptions(command: Command, defaultSplit: string): Command {
  return command
    .option('--data <source>', "evaluation data: 'mnist', 'fashion-mnist', a folder of IDX files (plain or .gz), " +
      "a folder of JPEG/PNG images (class subfolders = labels), or .npy files ('x.npy,y.npy'); " +
      'name=<folder|file.npy> feeds the input of that name (repeatable, one per input)', collect)
    .option('--input-range <lo,hi>', 'image folders: pixels 0..255 become lo..hi, e.g. 0,1 (default) | 0,255 | -1,1')
    .option('--mean <r,g,b>', 'image folders: subtracted per channel after --input-range, in its units (e.g. 0.485,0.456,0.406)')
    .option('--std <r,g,b>', 'image folders: divided per channel after --mean (e.g. 0.229,0.224,0.225)')
    .addOption(new Option('--split <split>', 'which part of the data; test = the 10,000 test images for the built-in sets')
      .choices(SPLITS as string[]).default(defaultSplit))
    .option('--limit <n>', 'use only the first n samples of the split (quick checks)', positiveInt)
    .option('--batch-size <n>', 'samples per batch for evaluation', positiveInt, 256);
}

/** How a model's inputs are fed: the same flags, the same meaning, for tfjs and ONNX models (src/data/feeds.ts). */
export function addInputOptions(command: Command): Command {
  return command
    .option('--input-shape <dims>', 'full input dims incl. batch for free/symbolic dims: name=1,3,48,320 (repeatable), or 1,64,64,3 for a one-input model', collect)
    .option('--input <name=value>', 'a non-data input: zeros | ones | <number> | file.npy, e.g. --input sr=16000 (repeatable; default zeros, named in the report)', collect)
    .option('--labels <y.npy>', 'class labels for --data x.npy (same as --data x.npy,y.npy)')
    .option('--state <in=out>', 'recurrent/streaming models: feed output <out> back into input <in> frame by frame, e.g. h=hn ' +
      '(repeatable; default: pairs inferred from dims and names; none: never)', collect);
}

/** The input flags as parsed by addInputOptions. */
export interface InputFlags { inputShape?: string[]; input?: string[]; labels?: string; state?: string[] }

export function addLatencyOptions(command: Command): Command {
  return command
    .option('--runs <n>', 'timed runs per batch size for latency', positiveInt, 50)
    .option('--warmup <n>', 'untimed warm-up runs before timing', positiveInt, 5)
    .option('--batch-sizes <list>', 'batch sizes to time, e.g. 1,32 (p50/p95 in the totals are for the first)', intList, [1, 32])
    .option('--no-latency', 'skip latency measurement');
}

export function addBudgetOption(command: Command): Command {
  return command.option('--budget <criteria>',
    'targets to check, comma-separated, e.g. "size<=300KB,gzip<=100KB,p50<=2ms,acc>=0.98,drop<=0.5%" ' +
    '(KB = 1000 bytes, KiB = 1024; drop = accuracy points lost against the reference). Exit code 1 when any fails');
}
