import type { CommandArgs, OptionSpecs } from './arguments';
import type { ExitCode } from './errors';
import type { ApiClient } from './http-client';
import type { Output } from './output';

/** What a command runs with: its output, the API (built on first use) and the machine. */
export interface CommandContext {
  out: Output;
  /** The API client; throws a usage or auth error when the URL or the key is missing or unusable. */
  api(): ApiClient;
  /** Waits real time (polling, backoff). */
  sleep(ms: number): Promise<void>;
  /** Monotonic real time in ms, for durations and progress rates. */
  now(): number;
  /** A fresh Idempotency-Key: each POST carries one, so a retry after a lost answer is safe. */
  newIdempotencyKey(): string;
  /** Where relative file names are resolved. */
  cwd: string;
}

/** One `occasions <group> <name>` command: its help, its options and what it does. */
export interface Command {
  group: string;
  name: string;
  /** One line, for the command lists. */
  summary: string;
  /** Positional arguments as the usage line shows them (`<messageId…>`). */
  arguments: string;
  /** Paragraphs for `--help`. */
  description: string;
  options: OptionSpecs;
  examples: readonly string[];
  run(context: CommandContext, args: CommandArgs): Promise<ExitCode>;
}

/** `occasions dlq redrive`. */
export function commandName(command: Pick<Command, 'group' | 'name'>): string {
  return `occasions ${command.group} ${command.name}`;
}
