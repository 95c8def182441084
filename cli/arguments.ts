import { parseArgs } from 'node:util';
import { UsageError } from './errors';

/** One option of a command (or a global one), with what its help says. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value's placeholder in the help (`<ISO>`); string options only. */
  value?: string;
  description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Options every command takes; they may also come before the command words. */
export const GLOBAL_OPTIONS = {
  url: {
    type: 'string',
    value: '<url>',
    description:
      'API base URL, with the stage path in AWS (env OCCASIONS_URL; default http://127.0.0.1:3000)',
  },
  'api-key': {
    type: 'string',
    value: '<key>',
    description:
      'API key, sent as x-api-key (env OCCASIONS_API_KEY, preferred: a flag shows in ps and history)',
  },
  json: { type: 'boolean', description: 'machine-readable JSON on stdout' },
  quiet: {
    type: 'boolean',
    short: 'q',
    description: 'no progress, notes or warnings on stderr (errors still)',
  },
  help: { type: 'boolean', short: 'h', description: 'show help' },
  version: { type: 'boolean', description: 'show the version' },
} as const satisfies OptionSpecs;

/** Global option values, before the environment fills the gaps. */
export interface GlobalFlags {
  url: string | undefined;
  apiKey: string | undefined;
  json: boolean;
  quiet: boolean;
  help: boolean;
  version: boolean;
}

/**
 * Splits argv into the command words (`dlq`, `redrive`) and everything else. Global options may
 * come before the words (`occasions --json dlq list`); a command's own options come after them.
 */
export function splitCommandWords(
  argv: readonly string[],
  wordCount = 2,
): { words: string[]; rest: string[] } {
  const words: string[] = [];
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const token = argv[index] ?? '';
    if (token === '--') {
      rest.push(...argv.slice(index));
      break;
    }
    if (words.length < wordCount && !token.startsWith('-')) {
      words.push(token);
      continue;
    }
    rest.push(token);
    // A global option's value is not a command word: `--url http://x dlq list`.
    if (words.length < wordCount && takesSeparateValue(token)) {
      const value = argv[index + 1];
      if (value !== undefined) rest.push(value);
      index += 1;
    }
  }
  return { words, rest };
}

function takesSeparateValue(token: string): boolean {
  if (!token.startsWith('--') || token.includes('=')) return false;
  const spec: OptionSpec | undefined = (GLOBAL_OPTIONS as OptionSpecs)[token.slice(2)];
  return spec?.type === 'string';
}

type ParsedValue = string | boolean | (string | boolean)[] | undefined;

/** A command's parsed arguments, with typed and validated access to each option. */
export class CommandArgs {
  constructor(
    private readonly values: Readonly<Record<string, ParsedValue>>,
    readonly positionals: readonly string[],
    /** `occasions dlq redrive`: named in messages. */
    private readonly commandName: string,
  ) {}

  get global(): GlobalFlags {
    return {
      url: this.string('url'),
      apiKey: this.string('api-key'),
      json: this.flag('json'),
      quiet: this.flag('quiet'),
      help: this.flag('help'),
      version: this.flag('version'),
    };
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    if (Array.isArray(value)) return value.map(String).at(-1);
    return typeof value === 'string' ? value : undefined;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  strings(name: string): string[] {
    const value = this.values[name];
    if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
    return typeof value === 'string' ? [value] : [];
  }

  /** An integer option within [min, max], or undefined when absent. */
  integer(name: string, min: number, max: number): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      throw this.usage(`--${name} must be a whole number from ${min} to ${max} (got "${text}")`);
    }
    return Number(text);
  }

  /** An instant option, normalized to UTC ISO-8601 (`2027-06-15` means its 00:00 UTC). */
  instant(name: string): string | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const instant = parseInstant(text);
    if (instant === undefined) {
      throw this.usage(
        `--${name} must be an ISO-8601 instant like 2027-06-15T09:00:00Z or a date (got "${text}")`,
      );
    }
    return instant;
  }

  /** One of `allowed`, or undefined when absent. */
  choice<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const found = allowed.find((candidate) => candidate === text);
    if (!found) throw this.usage(`--${name} must be one of ${allowed.join(', ')} (got "${text}")`);
    return found;
  }

  usage(message: string): UsageError {
    return new UsageError(message, `${this.commandName} --help`);
  }
}

/** `text` as a UTC ISO-8601 instant, or undefined. A bare date is its midnight UTC. */
export function parseInstant(text: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/i.exec(
    text,
  );
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // Date.parse rolls 2027-02-30 over to 2 March: a date that does not exist is refused instead.
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return undefined;
  const ms = Date.parse(match[4] === undefined ? `${text}T00:00:00Z` : text);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/**
 * Parses a command's arguments (its own options plus the global ones) with node:util parseArgs,
 * strictly: an unknown option or a missing value is a usage error naming the help to read.
 */
export function parseCommandArgs(
  rest: readonly string[],
  options: OptionSpecs,
  commandName: string,
): CommandArgs {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  const all: OptionSpecs = { ...GLOBAL_OPTIONS, ...options };
  for (const [name, spec] of Object.entries(all)) {
    config[name] = {
      type: spec.type,
      ...(spec.short === undefined ? {} : { short: spec.short }),
      ...(spec.multiple === undefined ? {} : { multiple: spec.multiple }),
    };
  }
  try {
    const parsed = parseArgs({ args: [...rest], options: config, allowPositionals: true, strict: true });
    return new CommandArgs(parsed.values, parsed.positionals, commandName);
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw new UsageError(
      message.replace(/\. To specify a positional argument.*$/, ''),
      `${commandName} --help`,
    );
  }
}
