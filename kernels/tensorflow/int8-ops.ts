import * as tf from '@tensorflow/tfjs';

/**
 * int8 packing with tf ops only (no bitwise ops, no bitcast in tfjs): bytes are peeled off with floor mod / floor
 * division by 256 in int32, which every backend computes exactly.
 */

/** int32 [..., W] packed words → int32 [..., 4W] signed bytes (lane 0 first). */
export function unpackBytes(q: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const lanes: tf.Tensor[] = [];
    let rest = q;
    for (let lane = 0; lane < 3; lane++) {
      const u = tf.mod(rest, tf.scalar(256, 'int32'));
      lanes.push(tf.sub(u, tf.mul(tf.cast(tf.greaterEqual(u, tf.scalar(128, 'int32')), 'int32'), tf.scalar(256, 'int32'))));
      rest = tf.floorDiv(rest, tf.scalar(256, 'int32'));
    }
    lanes.push(rest); // the top byte, already signed
    const stacked = tf.stack(lanes, q.rank);
    return tf.reshape(stacked, [...q.shape.slice(0, -1), (q.shape[q.rank - 1] ?? 0) * 4]);
  });
}

/** int32 [R, K] codes in [-128, 127] → int32 [R, ceil(K/4)] packed words, pad bytes 0. */
export function packBytes(codes: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [rows, k] = codes.shape;
    const words = Math.ceil(k / 4);
    const padded = tf.reshape(tf.pad(codes, [[0, 0], [0, words * 4 - k]]), [rows, words, 4]);
    const lanes = tf.unstack(padded, 2);
    const unsigned = (t: tf.Tensor) => tf.add(t, tf.mul(tf.cast(tf.less(t, tf.scalar(0, 'int32')), 'int32'), tf.scalar(256, 'int32')));
    // u0 + 2^8 u1 + 2^16 u2 + 2^24 b3 with b3 signed stays inside int32 at every step.
    let word = tf.mul(lanes[3]!, tf.scalar(1 << 24, 'int32'));
    word = tf.add(word, tf.mul(unsigned(lanes[2]!), tf.scalar(1 << 16, 'int32')));
    word = tf.add(word, tf.mul(unsigned(lanes[1]!), tf.scalar(1 << 8, 'int32')));
    return tf.add(word, unsigned(lanes[0]!)) as tf.Tensor2D;
  });
}

/**
 * Exact int32 A·Bᵀ for A [M, K], B [N, K] with entries in [-255, 255], using float32 matMul only (tfjs-node-gpu
 * has no int32 matmul on the GPU): A splits into 16·hi + lo, lo in [0, 15], and K into chunks of 4096, so every
 * float32 partial sum is an integer below 2^24 — exact in any summation order, with or without FMA.
 *
 * Not src/runtime/exact-int8.ts's exactAccumulate (the same digit split, for webgl/webgpu), on purpose: this one
 * returns the exact int32 accumulator for any K (chunks summed in int32, which tfjs-node holds as real int32), that
 * one f32(acc) as one float32 rounding with no int32 at all, because WebGL holds int32 as float32 (int32 chunk sums
 * past 2^24 would round there, and a float sum of chunks rounds more than once). Each needs what the other lacks.
 */
export function exactIntMatMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const k = a.shape[1];
    const sixteen = tf.scalar(16, 'int32');
    let acc: tf.Tensor2D | undefined;
    for (let k0 = 0; k0 < k; k0 += 4096) {
      const size = Math.min(4096, k - k0);
      const ac = tf.slice(a, [0, k0], [-1, size]);
      const bc = tf.cast(tf.slice(b, [0, k0], [-1, size]), 'float32');
      const lo = tf.mod(ac, sixteen);
      const hi = tf.floorDiv(ac, sixteen);
      const part = tf.add(
        tf.mul(tf.cast(tf.matMul(tf.cast(hi, 'float32'), bc, false, true), 'int32'), sixteen),
        tf.cast(tf.matMul(tf.cast(lo, 'float32'), bc, false, true), 'int32')) as tf.Tensor2D;
      acc = acc ? (tf.add(acc, part) as tf.Tensor2D) : part;
    }
    return acc ?? tf.zeros([a.shape[0], b.shape[0]], 'int32');
  });
}
