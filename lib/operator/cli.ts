import { oneLine, OperatorError } from './errors';

/** Where a CLI writes; the bin/ shells pass the process streams, tests collect the text. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Name of the stack `cdk deploy` creates (bin/ of the CDK app); both operator CLIs default to it. */
export const DEFAULT_STACK_NAME = 'PerftoolServer';

/** Options both operator CLIs take (node:util parseArgs configuration). */
export const STACK_OPTIONS = {
  stack: { type: 'string', default: DEFAULT_STACK_NAME },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/**
 * Runs a CLI body and turns any error into one line on stderr and exit code 1.
 * Argument errors from node:util parseArgs get a pointer to --help.
 */
export async function runCli(tool: string, io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const usage = typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS') ? ` (see "npm run ${tool} -- --help")` : '';
    const message = typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS') ? (err as Error).message : oneLine(err);
    io.stderr(`${tool}: error: ${message.replace(/\s*\n\s*/g, ' ')}${usage}\n`);
    return 1;
  }
}

/** A positive integer option value, or an OperatorError naming the option. */
export function positiveInteger(option: string, value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new OperatorError(`--${option} must be a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/**
 * The AWS SDK prints a multi-line notice on Node < 22 about its future releases; the versions pinned here support
 * Node 20, and the notice would break the CLIs' one-line error output.
 */
export function quietAwsSdk(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
