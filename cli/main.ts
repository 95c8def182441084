import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { GLOBAL_OPTIONS, parseCommandArgs, splitCommandWords } from './arguments';
import { commandName, type CommandContext } from './command';
import { COMMANDS } from './commands/index';
import { resolveConnection } from './connection';
import { CliError, ExitCode, UsageError } from './errors';
import { commandHelp, GROUPS, groupHelp, rootHelp } from './help';
import { ApiClient } from './http-client';
import { Output, type Streams } from './output';
import { DEFAULT_RETRY_POLICY } from './retry';

/** Per request; bulk batches of 1,000 users take a few seconds, API Gateway allows 29 s. */
const REQUEST_TIMEOUT_MS = 60_000;

/** Monotonic time for durations and progress; waits that really wait. */
const REAL_TIME: NonNullable<Environment['time']> = {
  now: () => performance.now(),
  sleep: (ms) => sleep(ms),
};

export interface Environment {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  streams: Streams;
  cwd: string;
  /** Real time unless given: tests move a clock of their own instead of waiting. */
  time?: { now(): number; sleep(ms: number): Promise<void> };
}

/** Runs one `occasions …` command line; resolves to the exit code (never throws). */
export async function main(environment: Environment): Promise<number> {
  const { argv, streams } = environment;
  const { words, rest } = splitCommandWords(argv);
  const early = earlyFlags(rest);
  const time = environment.time ?? REAL_TIME;
  const out = new Output(streams, { json: early.json, quiet: early.quiet }, () => time.now());
  const version = packageVersion();

  try {
    if (early.version) {
      out.result({ version }, () => `occasions ${version}`);
      return ExitCode.ok;
    }
    const [group, name] = words;
    if (group === undefined) {
      if (early.help) return printed(streams.stdout, rootHelp(COMMANDS, version), ExitCode.ok);
      return printed(streams.stderr, rootHelp(COMMANDS, version), ExitCode.usage);
    }
    if (!GROUPS.some((candidate) => candidate.name === group)) {
      streams.stderr.write(`${rootHelp(COMMANDS, version)}\n\n`);
      throw new UsageError(`unknown command "${group}"`, 'occasions --help');
    }
    if (name === undefined) {
      if (early.help) return printed(streams.stdout, groupHelp(group, COMMANDS), ExitCode.ok);
      streams.stderr.write(`${groupHelp(group, COMMANDS)}\n\n`);
      throw new UsageError(`missing the ${group} command`, `occasions ${group} --help`);
    }
    const command = COMMANDS.find((candidate) => candidate.group === group && candidate.name === name);
    if (!command) {
      streams.stderr.write(`${groupHelp(group, COMMANDS)}\n\n`);
      throw new UsageError(`unknown command "${group} ${name}"`, `occasions ${group} --help`);
    }
    const args = parseCommandArgs(rest, command.options, commandName(command));
    if (args.flag('help')) return printed(streams.stdout, commandHelp(command), ExitCode.ok);
    return await command.run(contextFor(environment, time, out, args.global), args);
  } catch (error) {
    return reportFailure(out, error, environment.env);
  }
}

/** --json, --quiet, --help and --version, read before the command (and its options) are known. */
function earlyFlags(rest: readonly string[]): {
  json: boolean;
  quiet: boolean;
  help: boolean;
  version: boolean;
} {
  const { values } = parseArgs({
    args: [...rest],
    options: {
      json: { type: 'boolean' },
      quiet: { type: GLOBAL_OPTIONS.quiet.type, short: GLOBAL_OPTIONS.quiet.short },
      help: { type: GLOBAL_OPTIONS.help.type, short: GLOBAL_OPTIONS.help.short },
      version: { type: 'boolean' },
    },
    strict: false,
    allowPositionals: true,
  });
  return {
    json: values.json === true,
    quiet: values.quiet === true,
    help: values.help === true,
    version: values.version === true,
  };
}

function contextFor(
  environment: Environment,
  time: NonNullable<Environment['time']>,
  out: Output,
  flags: { url: string | undefined; apiKey: string | undefined },
): CommandContext {
  let client: ApiClient | undefined;
  return {
    out,
    cwd: environment.cwd,
    sleep: (ms) => time.sleep(ms),
    now: () => time.now(),
    newIdempotencyKey: () => `occasions-cli-${randomUUID()}`,
    api: () => {
      if (client) return client;
      const connection = resolveConnection(flags, environment.env);
      for (const warning of connection.warnings) out.warn(warning);
      client = new ApiClient({
        baseUrl: connection.baseUrl,
        apiKey: connection.apiKey,
        userAgent: `occasions-cli/${packageVersion()} node/${process.versions.node}`,
        timeoutMs: REQUEST_TIMEOUT_MS,
        retry: DEFAULT_RETRY_POLICY,
        sleep: (ms) => time.sleep(ms),
        random: Math.random,
        wallClockMs: () => new Date().getTime(),
        onRetry: (message) => {
          out.warn(message);
        },
      });
      return client;
    },
  };
}

function reportFailure(out: Output, error: unknown, env: Environment['env']): number {
  if (error instanceof CliError) {
    out.error(error.message);
    if (error instanceof UsageError && error.helpHint) out.note(`Run \`${error.helpHint}\` for usage.`);
    out.errorResult({ message: error.message, exitCode: error.exitCode, ...error.details });
    return error.exitCode;
  }
  // A bug: say so plainly; the stack only on request (it may be long and it is ours, not theirs).
  const message = error instanceof Error ? error.message : String(error);
  out.error(`unexpected failure (a bug in the CLI): ${message}`);
  if (env.OCCASIONS_DEBUG && error instanceof Error && error.stack) out.error(error.stack);
  out.errorResult({ message, exitCode: ExitCode.internal });
  return ExitCode.internal;
}

function printed(stream: Streams['stdout'], text: string, code: ExitCode): ExitCode {
  stream.write(`${text}\n`);
  return code;
}

let cachedVersion: string | undefined;

function packageVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  cachedVersion = typeof manifest.version === 'string' ? manifest.version : '0.0.0';
  return cachedVersion;
}

/** The process's own command line (what cli/occasions.mjs calls). */
export async function runFromProcess(): Promise<void> {
  process.exitCode = await main({
    argv: process.argv.slice(2),
    env: process.env,
    streams: { stdout: process.stdout, stderr: process.stderr },
    cwd: process.cwd(),
  });
}
