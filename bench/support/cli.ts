/**
 * What every benchmark script shares: `--help`, option parsing with one-line errors, progress lines, and a clean
 * stop. Ctrl-C (SIGINT) or SIGTERM stops the run, removes what it created (registered with onCleanup, e.g. the
 * embedded PostgreSQL and its folder in the temp dir) and exits 130 / 143; a failure prints one line and exits 1
 * after the same clean-up.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { stopAllEmbeddedPostgres } from '../../lib/dev/embedded-postgres';

export interface BenchOption {
  /** Long option name, without the dashes. */
  name: string;
  /** Placeholder for the option's value (e.g. `N`); none for a flag. */
  value?: string;
  help: string;
}

export interface BenchDefinition {
  /** The npm script, e.g. `bench:query`. */
  script: string;
  /** What it measures and against what (printed by --help). */
  description: string;
  options?: BenchOption[];
}

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** The --help text of a benchmark. */
export function benchUsage(def: BenchDefinition): string {
  const options = [...(def.options ?? []), { name: 'help', help: 'show this help and exit' }];
  const left = options.map((o) => `  --${o.name}${o.value ? ` ${o.value}` : ''}${o.name === 'help' ? ', -h' : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return [
    `Usage: npm run ${def.script} -- [options]`,
    '',
    def.description,
    '',
    'It starts what it needs (e.g. an embedded PostgreSQL in the temp dir) and removes it when it ends, also on',
    'Ctrl-C. Run it on an otherwise idle machine: other processes move the figures more than code changes do.',
    '',
    'Options:',
    ...options.map((o, i) => `${left[i].padEnd(width)}${o.help}`),
    '',
  ].join('\n');
}

export type ParsedBenchArgs = { help: boolean } & Record<string, string | boolean | undefined>;

/**
 * Parses `argv` against the benchmark's options. Throws an Error whose message is one line (an unknown option,
 * a missing value) pointing to --help.
 */
export function parseBenchArgs(def: BenchDefinition, argv: string[]): ParsedBenchArgs {
  const config: ParseArgsConfig['options'] = { help: { type: 'boolean', short: 'h', default: false } };
  for (const o of def.options ?? []) config[o.name] = { type: o.value ? 'string' : 'boolean' };
  try {
    const { values } = parseArgs({ args: argv, options: config, allowPositionals: false, strict: true });
    return values as ParsedBenchArgs;
  } catch (err) {
    throw new Error(`${(err as Error).message.replace(/\s*\n\s*/g, ' ')} (see "npm run ${def.script} -- --help")`);
  }
}

/**
 * Option values for the benchmark, or null after printing --help (the caller then exits 0). Used by runBench; the
 * separate step lets tests call it without exiting.
 */
export function benchArgs(def: BenchDefinition, argv: string[], io: CliIo = processIo): ParsedBenchArgs | null {
  const args = parseBenchArgs(def, argv);
  if (args.help) {
    io.stdout(benchUsage(def));
    return null;
  }
  return args;
}

const cleanups: Array<() => Promise<void> | void> = [];

/** Runs `fn` when the benchmark ends, however it ends; last registered runs first. Returns an unregister function. */
export function onCleanup(fn: () => Promise<void> | void): () => void {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

async function runCleanups(io: CliIo): Promise<void> {
  // Every embedded PostgreSQL the run started goes last, after what was built on it.
  for (const fn of [stopAllEmbeddedPostgres, ...cleanups.splice(0)].reverse()) {
    try {
      await fn();
    } catch (err) {
      io.stderr(`clean-up: ${(err as Error).message}\n`);
    }
  }
}

let started = 0;

/** One progress line on stderr (the figures go to stdout), with the time since the benchmark started. */
export function progress(message: string): void {
  const seconds = started ? ((performance.now() - started) / 1000).toFixed(0) : '0';
  process.stderr.write(`[${seconds.padStart(4)} s] ${message}\n`);
}

/**
 * Runs a benchmark: `--help` prints its usage and exits 0; a bad option prints one line and exits 2; otherwise
 * `main(args)` runs. SIGINT/SIGTERM and failures run every registered clean-up before exiting.
 */
export function runBench(def: BenchDefinition, main: (args: ParsedBenchArgs) => Promise<void>, argv = process.argv.slice(2)): void {
  let args: ParsedBenchArgs | null;
  try {
    args = benchArgs(def, argv);
  } catch (err) {
    process.stderr.write(`${def.script}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (!args) process.exit(0);

  let stopping = false;
  const stop = (code: number, message: string | null) => {
    if (stopping) return;
    stopping = true;
    if (message) process.stderr.write(`${message}\n`);
    void runCleanups(processIo).finally(() => process.exit(code));
  };
  process.on('SIGINT', () => stop(130, `\n${def.script}: interrupted; removing what it created…`));
  process.on('SIGTERM', () => stop(143, `${def.script}: terminated; removing what it created…`));
  // Once stopping, connections to the PostgreSQL being shut down fail; those errors are expected, not news.
  const failed = (err: unknown) => {
    if (stopping) return;
    stop(1, `${def.script}: error: ${err instanceof Error ? err.message : String(err)}`.replace(/\s*\n\s*/g, ' '));
  };
  process.on('uncaughtException', failed);
  process.on('unhandledRejection', failed);

  started = performance.now();
  progress(`${def.script}: running (Ctrl-C stops it and removes what it created)…`);
  main(args).then(() => {
    progress(`${def.script}: done`);
    stop(process.exitCode === undefined ? 0 : Number(process.exitCode), null);
  }, failed);
}

/** A positive integer option value, or an Error naming the option. */
export function positiveInteger(option: string, value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new Error(`--${option} must be a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}
