import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../core/errors.js';
import { distill, DISTILL_DEFAULTS, shrinkWidth } from '../../distill/index.js';
import { disposeLoaded, loadModel } from '../../formats/index.js';
import { cloneModel } from '../../prune/index.js';
import { ZeroHold } from '../hold-zeros.js';
import { BATCH_SIZE, EPOCHS, LEARNING_RATE, num } from './shared.js';
import type { PipelineStep } from './types.js';

/**
 * Knowledge distillation (Hinton et al. 2015) into the current model, or into a narrower copy of it. The teacher
 * is the model the pipeline started from unless a path is given. Zeros left by an earlier prune step are held,
 * which makes prune → distill → QAT (the seed's recipe) keep its sparsity.
 */
export const distillStep: PipelineStep = {
  name: 'distill',
  phase: 'train',
  description: 'train against a teacher\'s soft targets (default teacher: the input model), optionally into a narrower student',
  schema: {
    type: 'object',
    properties: {
      epochs: { ...EPOCHS, min: 1 },
      temperature: { type: 'number', min: 0.05, max: 100, description: `softmax temperature T (default ${DISTILL_DEFAULTS.temperature})` },
      alpha: { type: 'number', min: 0, max: 1, description: `hard-label weight α (default ${DISTILL_DEFAULTS.alpha})` },
      batchSize: BATCH_SIZE,
      learningRate: LEARNING_RATE,
      teacher: { type: 'string', description: "'source' (the input model) or a model path" },
      studentWidth: { type: 'number', min: 0.01, max: 1, description: 'train a fresh student with hidden widths × this factor' },
    },
  },
  formats: {
    layers: {
      needs: (_options, quick) => (quick ? 'none' : 'train'),
      async run(options, ctx) {
        if (ctx.quick) return { model: ctx.model, summary: { skipped: 'quick mode (sensitivity analysis) does not train' } };
        const teacherPath = typeof options.teacher === 'string' && options.teacher !== 'source' ? options.teacher : undefined;
        let teacher = ctx.source;
        if (teacherPath) {
          const loaded = await loadModel(teacherPath);
          if (loaded.kind !== 'layers') {
            disposeLoaded(loaded);
            throw new ShrinkmlError('UNSUPPORTED', `${teacherPath}: a distillation teacher must be a Layers model, this is a ${loaded.kind} model`, { subject: 'teacher' });
          }
          teacher = loaded.model;
        }
        const width = typeof options.studentWidth === 'number' ? options.studentWidth : undefined;
        const student = width !== undefined ? (await shrinkWidth(ctx.model, width, { seed: ctx.seed })).model : await cloneModel(ctx.model);
        const hold = await ZeroHold.of(student);
        const optimizer = tf.train.adam(num(options, 'learningRate', DISTILL_DEFAULTS.learningRate));
        try {
          const history = await distill({
            teacher, student, data: await ctx.data.get('train', 'distillation'),
            epochs: num(options, 'epochs', 2), batchSize: num(options, 'batchSize', DISTILL_DEFAULTS.batchSize),
            temperature: num(options, 'temperature', DISTILL_DEFAULTS.temperature), alpha: num(options, 'alpha', DISTILL_DEFAULTS.alpha),
            optimizer, callbacks: hold.active ? [hold.callback()] : [], seed: ctx.seed, onProgress: ctx.onProgress, signal: ctx.signal,
          });
          return {
            model: student,
            summary: {
              teacher: teacherPath ?? 'source', studentWidth: width ?? null, heldZeros: hold.active,
              temperature: history.temperature, alpha: history.alpha, epochs: history.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, seconds: e.seconds })),
            },
          };
        } catch (e) {
          student.dispose();
          throw e;
        } finally {
          optimizer.dispose();
          if (teacher !== ctx.source) teacher.dispose();
        }
      },
    },
  },
};
