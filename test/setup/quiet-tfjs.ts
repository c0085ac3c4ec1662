import * as tf from '@tensorflow/tfjs';

// tfjs prints a "use tfjs-node" banner per backend through console.warn; it buries real test output.
tf.env().set('PROD', true);
