import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import { saveLayersModel } from '../../src/formats/index.js';
import { writeNpy } from '../data/fixtures.js';
import { makeTmpDir, removeTmpDir, tempLeftovers } from '../fixtures/tmp.js';
import { runDistillCli } from './cli-harness.js';
import { toyData } from './toy.js';

/**
 * `shrinkml distill` writes through the one output writer compress uses (src/pipeline/output.ts): the student and
 * its lineage are staged, measured there, and appear at --out together only after the measurement — a failure in
 * between leaves no --out, no staging folder and no lock. An existing --out is refused before any training.
 */
const failStudentMeasurement = vi.hoisted(() => ({ on: false }));
vi.mock('../../src/cli/shared/evaluate.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/cli/shared/evaluate.js')>();
  return {
    ...original,
    evaluateForCli: async (o: Parameters<typeof original.evaluateForCli>[0]) => {
      // The student is the model measured against a reference (the teacher).
      if (failStudentMeasurement.on && o.reference) throw new ShrinkmlError('BAD_INPUT', 'measurement failed (test)');
      return original.evaluateForCli(o);
    },
  };
});

let dir = '';
let teacherDir = '';
let dataArg = '';

const cli = runDistillCli;

const distillTo = (out: string, ...extra: string[]) => cli('distill', '--teacher', teacherDir, '--student-width', '0.5',
  '--data', dataArg, '--epochs', '1', '--train-batch-size', '32', '--backend', 'cpu', '--no-latency', '--out', out, ...extra);

beforeAll(async () => {
  dir = await makeTmpDir('shrinkml-distill-out-');
  const wide = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu', name: 'hidden' }), tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' })] });
  teacherDir = path.join(dir, 'teacher');
  await saveLayersModel(wide, teacherDir);
  wide.dispose();
  const data = toyData(90, 7);
  writeNpy(path.join(dir, 'x.npy'), [data.count, 4], Array.from(data.x), '<f4');
  writeNpy(path.join(dir, 'y.npy'), [data.count], Array.from(data.labels!), '<i4');
  dataArg = `${path.join(dir, 'x.npy')},${path.join(dir, 'y.npy')}`;
});
afterAll(async () => { await removeTmpDir(dir); });

describe('shrinkml distill output', () => {
  it('a failed measurement of the staged student leaves nothing: no --out, no staging folder, no lock', async () => {
    failStudentMeasurement.on = true;
    try {
      const out = path.join(dir, 'failed');
      const r = await distillTo(out, '--json');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/student: \d+ parameters/);           // it did train
      expect(r.stderr).toMatch(/measurement failed \(test\)/);
      expect(r.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
      expect(existsSync(`${out}.lock`)).toBe(false);
      expect(await tempLeftovers(dir)).toEqual([]);
    } finally {
      failStudentMeasurement.on = false;
    }
  });

  it('on success the student, its lineage and the report name the final paths, not the staging folder', async () => {
    const out = path.join(dir, 'student');
    const r = await distillTo(out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.out).toBe(path.join(out, 'model.json'));
    expect(report.student.source).toBe(path.join(out, 'model.json'));
    expect(report.student.size.files.map((f: { path: string }) => f.path).sort())
      .toEqual(readdirSync(out).filter((f) => f !== 'lineage.json').map((f) => path.join(out, f)).sort());
    expect(r.stdout).not.toMatch(/\.tmp-/);
    expect(JSON.parse(readFileSync(path.join(out, 'lineage.json'), 'utf8')).steps[0].step).toBe('distill');
    expect(existsSync(`${out}.lock`)).toBe(false);
    expect(await tempLeftovers(dir)).toEqual([]);
  });

  it('an existing --out without --force is refused before any training', async () => {
    const r = await distillTo(path.join(dir, 'student'));
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/student: \d+ parameters/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
