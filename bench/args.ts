import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs for bench scripts, same config: `--help` / `-h` prints the usage (the given text, or one line per option
 * with its default) and exits 0; an unknown or malformed option prints one line and the usage on stderr and exits 2,
 * instead of parseArgs' stack trace.
 */
export function benchArgs<O extends Options>(config: { options: O; usage?: string }): ReturnType<typeof parseArgs<{ options: O }>> {
  const argv = process.argv.slice(2);
  const usage = (config.usage ?? optionList(config.options)).trim();
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, options: config.options });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

function optionList(options: Options): string {
  const script = path.basename(process.argv[1] ?? 'bench');
  const lines = Object.entries(options).map(([name, o]) => {
    const value = o.type === 'string' ? ' <value>' : '';
    const repeat = o.multiple ? ' (repeatable)' : '';
    const fallback = o.default !== undefined ? ` (default: ${JSON.stringify(o.default)})` : '';
    return `  --${name}${value}${repeat}${fallback}`;
  });
  return [`Usage: node dist/bench/${script} [options]`, '', 'Options:', ...lines].join('\n');
}
