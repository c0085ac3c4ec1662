/**
 * Defaults for knowledge distillation, with where they come from.
 *
 * Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network" (2015), arXiv:1503.02531:
 * - Soft targets are softmax(logits / T). The gradients of the soft term scale as 1/T², so the soft term is
 *   multiplied by T² to keep the two terms' relative contribution roughly unchanged when T changes (section 2).
 * - "The best results were generally obtained by using a considerably lower weight on the second objective
 *   function" (the hard-label cross-entropy): hence α, the hard-label weight, well below 0.5.
 * - Their MNIST experiments used T in the range 2.5–4 for small students and up to 20 for large ones; later practice
 *   (e.g. the Keras and PyTorch distillation tutorials) settles on T 2–5 and α 0.1–0.5.
 */
export const DISTILL_DEFAULTS = {
  /** Softmax temperature T applied to both teacher and student logits in the soft term. */
  temperature: 4,
  /** α, the weight of the hard-label cross-entropy; (1 − α)·T² weighs the soft (KL) term. */
  alpha: 0.3,
  epochs: 10,
  batchSize: 64,
  /** Adam's own default step size (Kingma & Ba 2015), also what tf.train.adam() uses. */
  learningRate: 1e-3,
  /** Epochs without validation improvement before stopping (Keras EarlyStopping's usual setting in examples). */
  patience: 3,
} as const;
