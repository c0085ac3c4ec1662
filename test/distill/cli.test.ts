import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveLayersModel } from '../../src/formats/index.js';
import { writeNpy } from '../data/fixtures.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { runDistillCli } from './cli-harness.js';
import { toyData, toyTeacher } from './toy.js';

let dir = '';
let teacherDir = '';
let dataArg = '';

const cli = runDistillCli;

beforeAll(async () => {
  dir = await makeTmpDir('shrinkml-distill-');
  const teacher = toyTeacher();
  // A hidden layer so --student-width has something to shrink.
  const wide = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 16, activation: 'relu', name: 'hidden' }), tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' })] });
  teacherDir = path.join(dir, 'teacher');
  await saveLayersModel(wide, teacherDir);
  tf.dispose([teacher, wide]);
  const data = toyData(120, 5);
  writeNpy(path.join(dir, 'x.npy'), [data.count, 4], Array.from(data.x), '<f4');
  writeNpy(path.join(dir, 'y.npy'), [data.count], Array.from(data.labels!), '<i4');
  dataArg = `${path.join(dir, 'x.npy')},${path.join(dir, 'y.npy')}`;
});
afterAll(async () => { await removeTmpDir(dir); });

describe('shrinkml distill', () => {
  it('trains a --student-width student, writes it with lineage, and reports teacher vs student as JSON', async () => {
    const out = path.join(dir, 'student');
    const r = await cli('distill', '--teacher', teacherDir, '--student-width', '0.25', '--data', dataArg, '--epochs', '2',
      '--train-batch-size', '32', '--backend', 'cpu', '--no-latency', '--out', out, '--json');
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.widths.map((w: { layer: string; to: number }) => [w.layer, w.to])).toEqual([['hidden', 4], ['out', 3]]);
    expect(report.student.params).toBe(4 * 4 + 4 + 4 * 3 + 3);
    expect(report.teacher.params).toBe(4 * 16 + 16 + 16 * 3 + 3);
    expect(report.history.epochs).toHaveLength(2);
    expect(report.student.accuracy).toBeGreaterThanOrEqual(0);
    expect(report.student.referenceAccuracy).toBe(report.teacher.accuracy);
    expect(existsSync(path.join(out, 'model.json'))).toBe(true);
    const lineage = JSON.parse(readFileSync(path.join(out, 'lineage.json'), 'utf8'));
    expect(lineage.steps[0]).toMatchObject({ step: 'distill', options: { temperature: 4, alpha: 0.3, studentWidth: 0.25 } });
    expect(lineage.source).toBe(path.relative(out, path.join(teacherDir, 'model.json')));
  });

  it('prints a teacher vs student table without --json', async () => {
    const r = await cli('distill', '--teacher', teacherDir, '--student', teacherDir, '--data', dataArg, '--epochs', '1',
      '--backend', 'cpu', '--no-latency', '--no-early-stopping', '--out', path.join(dir, 'student2'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\s+teacher\s+student/m);
    expect(r.stdout).toMatch(/^params\s+131\s+131$/m);
    expect(r.stdout).toMatch(/^accuracy\s+\d+\.\d\d%\s+\d+\.\d\d%$/m);
  });

  it.each([
    [['--student-width', '0.5', '--student', 'x'], /exactly one of --student/],
    [[], /exactly one of --student/],
    [['--student-width', '0.5', '--alpha', '2'], /--alpha.*expected a number in \[0, 1\]/],
    [['--student-width', '0'], /--student-width.*expected a number > 0/],
  ])('refuses %j', async (extra, message) => {
    const r = await cli('distill', '--teacher', teacherDir, '--data', dataArg, '--backend', 'cpu', '--out', path.join(dir, 'never'), ...extra);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(existsSync(path.join(dir, 'never'))).toBe(false);
  });

  it('refuses a student whose input shape differs from the teacher\'s, before training, writing nothing', async () => {
    const other = tf.sequential({ layers: [tf.layers.reshape({ inputShape: [2, 2], targetShape: [4] }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
    const studentDir = path.join(dir, 'student-2x2');
    await saveLayersModel(other, studentDir);
    other.dispose();
    const out = path.join(dir, 'never-shape');
    const r = await cli('distill', '--teacher', teacherDir, '--student', studentDir, '--data', dataArg, '--epochs', '1',
      '--backend', 'cpu', '--no-latency', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/student takes inputs of shape \[2,2\], the teacher \[4\]/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses to overwrite an existing --out', async () => {
    const r = await cli('distill', '--teacher', teacherDir, '--student-width', '0.5', '--data', dataArg, '--epochs', '1',
      '--backend', 'cpu', '--no-latency', '--out', teacherDir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/exists|input model|protect/i);
  });
});
