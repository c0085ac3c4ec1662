import type * as tf from '@tensorflow/tfjs';
import { applyRecipe } from './apply.js';
import { planStructured, type StructuredPlanOptions } from './plan.js';
import type { StructuredRecipe } from './recipe.js';

/** Plan and apply in one call: a new, smaller LayersModel plus the recipe that produced it. */
export async function pruneStructured(options: StructuredPlanOptions): Promise<{ model: tf.LayersModel; recipe: StructuredRecipe }> {
  const { recipe, dependency } = await planStructured(options);
  const model = await applyRecipe({ model: options.model, recipe, dependency, onWarn: options.onWarn });
  return { model, recipe };
}

export { applyRecipe } from './apply.js';
export type { ApplyRecipeOptions } from './apply.js';
export { planStructured } from './plan.js';
export type { StructuredPlan, StructuredPlanOptions } from './plan.js';
export { RECIPE_FORMAT, validateRecipe } from './recipe.js';
export type { RecipeGroup, StructuredRecipe } from './recipe.js';
export { CUT_HANDLERS, cutHandlerFor } from './handlers/index.js';
export type { CutHandler, FoldArgs } from './handlers/index.js';
export { cloneModel } from './fold.js';
