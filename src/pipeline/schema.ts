import { ShrinkmlError } from '../core/errors.js';

/**
 * A small JSON schema subset, enough to validate pipeline configs with errors that carry the path of the bad
 * field (`steps[1].options.sparsity`). Hand-written rather than a dependency: the configs are small and the
 * messages matter more than schema coverage.
 */
export type Schema =
  | NumberSchema
  | { type: 'string'; enum?: readonly string[]; pattern?: RegExp; description?: string }
  | { type: 'boolean'; description?: string }
  | { type: 'array'; items: Schema; minItems?: number; description?: string }
  | ObjectSchema
  | { type: 'oneOf'; options: readonly Schema[]; description?: string };

export interface NumberSchema { type: 'number'; min?: number; max?: number; exclusiveMax?: boolean; integer?: boolean; description?: string }

export interface ObjectSchema {
  type: 'object';
  properties: Record<string, Schema>;
  required?: readonly string[];
  /** Unknown keys are errors unless this is true: a typo must not be silently ignored. */
  additional?: boolean;
  description?: string;
}

/** One validation problem: where (a JSON path) and what. */
export interface SchemaIssue { path: string; message: string }

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** Every problem found, in document order (empty when the value is valid). */
export function validateSchema(value: unknown, schema: Schema, path = ''): SchemaIssue[] {
  const at = path || '(root)';
  switch (schema.type) {
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return [{ path: at, message: `expected a number, got ${kindOf(value)}` }];
      if (schema.integer && !Number.isInteger(value)) return [{ path: at, message: `expected a whole number, got ${value}` }];
      if (schema.min !== undefined && value < schema.min) return [{ path: at, message: `must be ≥ ${schema.min}, got ${value}` }];
      if (schema.max !== undefined && (schema.exclusiveMax ? value >= schema.max : value > schema.max)) {
        return [{ path: at, message: `must be ${schema.exclusiveMax ? '<' : '≤'} ${schema.max}, got ${value}` }];
      }
      return [];
    }
    case 'string': {
      if (typeof value !== 'string') return [{ path: at, message: `expected a string, got ${kindOf(value)}` }];
      if (schema.enum && !schema.enum.includes(value)) return [{ path: at, message: `must be one of ${schema.enum.join(', ')}; got '${value}'` }];
      if (schema.pattern && !schema.pattern.test(value)) return [{ path: at, message: `'${value}' does not match ${schema.pattern}` }];
      return [];
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : [{ path: at, message: `expected true or false, got ${kindOf(value)}` }];
    case 'array': {
      if (!Array.isArray(value)) return [{ path: at, message: `expected an array, got ${kindOf(value)}` }];
      if (schema.minItems !== undefined && value.length < schema.minItems) {
        return [{ path: at, message: `needs at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}` }];
      }
      return value.flatMap((item, i) => validateSchema(item, schema.items, join(path, i)));
    }
    case 'object': {
      if (kindOf(value) !== 'object') return [{ path: at, message: `expected an object, got ${kindOf(value)}` }];
      const obj = value as Record<string, unknown>;
      const issues: SchemaIssue[] = [];
      for (const key of schema.required ?? []) {
        if (obj[key] === undefined) issues.push({ path: join(path, key), message: 'is required' });
      }
      for (const [key, v] of Object.entries(obj)) {
        const sub = schema.properties[key];
        if (sub) issues.push(...validateSchema(v, sub, join(path, key)));
        else if (!schema.additional) {
          issues.push({ path: join(path, key), message: `unknown field (expected ${Object.keys(schema.properties).join(', ') || 'none'})` });
        }
      }
      return issues;
    }
    case 'oneOf': {
      const results = schema.options.map((s) => validateSchema(value, s, path));
      if (results.some((r) => r.length === 0)) return [];
      // The option that got furthest (fewest issues) explains the problem best.
      return results.reduce((a, b) => (b.length < a.length ? b : a));
    }
  }
}

/** Throws a BAD_INPUT naming the file, the first bad field's path and what is wrong with it (and how many more). */
export function assertSchema(value: unknown, schema: Schema, options: { source: string; path?: string }): void {
  const issues = validateSchema(value, schema, options.path ?? '');
  if (issues.length === 0) return;
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  throw new ShrinkmlError('BAD_INPUT', `${options.source}: ${first.path} ${first.message}${more}`, { subject: first.path });
}
