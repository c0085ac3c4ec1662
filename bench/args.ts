import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Command-line options of a bench script (node:util parseArgs): `--help` / `-h` prints the usage and exits 0; an
 * unknown or malformed option prints one line and the usage on stderr and exits 2 — instead of parseArgs' stack trace.
 */
export function benchArgs<O extends Options>(usage: string, options: O): ReturnType<typeof parseArgs<{ options: O }>>['values'] {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage.trim());
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, options }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${usage.trim()}`);
    process.exit(2);
  }
}
