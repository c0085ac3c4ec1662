import * as tf from '@tensorflow/tfjs';

/** conv → BN → relu → pool → flatten → dense → dense(softmax): the LeNet pattern in miniature. */
export function convNet(): tf.LayersModel {
  return tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, name: 'c1' }),
    tf.layers.batchNormalization({ name: 'bn1' }),
    tf.layers.activation({ activation: 'relu', name: 'r1' }),
    tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }),
    tf.layers.flatten({ name: 'f' }),
    tf.layers.dense({ units: 5, activation: 'relu', name: 'd1' }),
    tf.layers.dropout({ rate: 0.1, name: 'drop' }),
    tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
  ] });
}

/** Two convs summed by an Add: their filters must be cut together. */
export function residualNet(): tf.LayersModel {
  const x = tf.input({ shape: [6, 6, 2], name: 'x' });
  const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'a' }).apply(x) as tf.SymbolicTensor;
  const bnA = tf.layers.batchNormalization({ name: 'bn_a' }).apply(a) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'b' }).apply(x) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([bnA, b]) as tf.SymbolicTensor;
  const act = tf.layers.reLU({ name: 'act' }).apply(sum) as tf.SymbolicTensor;
  const c = tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: 'c' }).apply(act) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(c) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: 'out' }).apply(gap) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: out, name: 'residual' });
}

/** Two branches concatenated on channels, then a depthwise conv and a Flatten → Dense head. */
export function concatNet(): tf.LayersModel {
  const x = tf.input({ shape: [6, 6, 2], name: 'x' });
  const a = tf.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'relu', name: 'a' }).apply(x) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ filters: 5, kernelSize: 1, activation: 'relu', name: 'b' }).apply(x) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: 'cat' }).apply([a, b]) as tf.SymbolicTensor;
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, name: 'dw' }).apply(cat) as tf.SymbolicTensor;
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu', name: 'c' }).apply(dw) as tf.SymbolicTensor;
  const f = tf.layers.flatten({ name: 'f' }).apply(c) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: 'out' }).apply(f) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: out, name: 'concat' });
}

/** A Reshape the graph cannot see through sits between two Dense layers. */
export function reshapeNet(): tf.LayersModel {
  return tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [4], units: 6, name: 'd1' }),
    tf.layers.reshape({ targetShape: [2, 3], name: 'rs' }),
    tf.layers.flatten({ name: 'f' }),
    tf.layers.dense({ units: 5, name: 'd2' }),
    tf.layers.dense({ units: 2, name: 'out' }),
  ] });
}

/** Squeeze-excite: a channel gate computed from the features multiplies them (Reshape [C] → [1,1,C], Multiply). */
export function squeezeExciteNet(): tf.LayersModel {
  const x = tf.input({ shape: [4, 4, 3], name: 'x' });
  const a = tf.layers.conv2d({ filters: 8, kernelSize: 1, name: 'a' }).apply(x) as tf.SymbolicTensor;
  const squeeze = tf.layers.globalAveragePooling2d({ name: 'squeeze' }).apply(a) as tf.SymbolicTensor;
  const s1 = tf.layers.dense({ units: 2, activation: 'relu', name: 's1' }).apply(squeeze) as tf.SymbolicTensor;
  const s2 = tf.layers.dense({ units: 8, activation: 'sigmoid', name: 's2' }).apply(s1) as tf.SymbolicTensor;
  const gate = tf.layers.reshape({ targetShape: [1, 1, 8], name: 'gate' }).apply(s2) as tf.SymbolicTensor;
  const scaled = tf.layers.multiply({ name: 'scale' }).apply([a, gate]) as tf.SymbolicTensor;
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu', name: 'c' }).apply(scaled) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(c) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: 'out' }).apply(gap) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: out, name: 'se' });
}
