/**
 * `SHRINKML_PRINT_SHADERS=name[,name...]` (or `all`) prints the full WGSL of our programs as tfjs compiles them,
 * through tfjs's own WEBGPU_PRINT_SHADER (console.debug). Read from process.env in Node and from
 * globalThis.SHRINKML_PRINT_SHADERS in the browser. Off by default: the library never prints on its own.
 */
export function printShadersFlag(): string {
  const g = globalThis as { SHRINKML_PRINT_SHADERS?: string; process?: { env?: Record<string, string | undefined> } };
  return String(g.SHRINKML_PRINT_SHADERS ?? g.process?.env?.SHRINKML_PRINT_SHADERS ?? '').trim().toLowerCase();
}

/** Whether the program called `name` (e.g. 'matmul-int8') should be printed. */
export function shaderWanted(name: string): boolean {
  const flag = printShadersFlag();
  if (!flag) return false;
  return flag === 'all' || flag.split(',').some((n) => n.trim() !== '' && name.toLowerCase().includes(n.trim()));
}
