import { describe, expect, it } from 'vitest';
import { parseCommandArgs, parseInstant, splitCommandWords } from '../../../cli/arguments';
import { endpointKeyOf } from '../../../cli/commands/circuits';
import { resolveConnection } from '../../../cli/connection';
import { CliError, ExitCode, UsageError } from '../../../cli/errors';
import { ApiClient } from '../../../cli/http-client';
import { main } from '../../../cli/main';
import { DEFAULT_RETRY_POLICY } from '../../../cli/retry';

describe('splitCommandWords', () => {
  it('given global options before and after the command, then the two command words are found', () => {
    expect(splitCommandWords(['--json', '--url', 'http://x', 'dlq', 'redrive', 'm1', '--all'])).toEqual({
      words: ['dlq', 'redrive'],
      rest: ['--json', '--url', 'http://x', 'm1', '--all'],
    });
  });

  it('given --opt=value, then no following token is taken as its value', () => {
    expect(splitCommandWords(['--url=http://x', 'dlq', 'list'])).toEqual({
      words: ['dlq', 'list'],
      rest: ['--url=http://x'],
    });
  });

  it('given positional arguments after the command, then they stay arguments', () => {
    expect(splitCommandWords(['notifications', 'show', 'occ_1'])).toEqual({
      words: ['notifications', 'show'],
      rest: ['occ_1'],
    });
  });
});

describe('parseCommandArgs', () => {
  const options = {
    limit: { type: 'string', description: '' },
    all: { type: 'boolean', description: '' },
    status: { type: 'string', multiple: true, description: '' },
    from: { type: 'string', description: '' },
  } as const;

  it('given command and global options, then each is readable with its type', () => {
    const args = parseCommandArgs(
      ['--limit', '5', '--all', '--status', 'failed', '--status', 'skipped', '--json', 'x'],
      options,
      'occasions t t',
    );
    expect(args.integer('limit', 1, 10)).toBe(5);
    expect(args.flag('all')).toBe(true);
    expect(args.strings('status')).toEqual(['failed', 'skipped']);
    expect(args.global).toMatchObject({ json: true, quiet: false });
    expect(args.positionals).toEqual(['x']);
  });

  it('given an unknown option, then it is a usage error pointing at the command help', () => {
    const attempt = () => parseCommandArgs(['--bogus'], options, 'occasions dlq list');
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(/Unknown option '--bogus'/);
  });

  it('given a string option without its value, then it is a usage error', () => {
    expect(() => parseCommandArgs(['--limit'], options, 'occasions t t')).toThrow(UsageError);
  });

  it('given values out of range or malformed, then each is a usage error naming the option', () => {
    expect(() => parseCommandArgs(['--limit', '0'], options, 'c').integer('limit', 1, 10)).toThrow(
      '--limit must be a whole number from 1 to 10 (got "0")',
    );
    expect(() => parseCommandArgs(['--limit', '2.5'], options, 'c').integer('limit', 1, 10)).toThrow(
      UsageError,
    );
    expect(() => parseCommandArgs(['--from', 'yesterday'], options, 'c').instant('from')).toThrow(
      /--from must be/,
    );
    expect(() => parseCommandArgs(['--limit', 'x'], options, 'c').choice('limit', ['a', 'b'])).toThrow(
      '--limit must be one of a, b (got "x")',
    );
  });
});

describe('parseInstant', () => {
  it('given instants with Z or an offset, or a bare date, then each is normalized to UTC', () => {
    expect(parseInstant('2027-06-15T09:00:00Z')).toBe('2027-06-15T09:00:00.000Z');
    expect(parseInstant('2027-06-15T09:00+05:30')).toBe('2027-06-15T03:30:00.000Z');
    expect(parseInstant('2027-06-15')).toBe('2027-06-15T00:00:00.000Z');
  });

  it('given a date that does not exist or no zone, then it is refused (not rolled over)', () => {
    expect(parseInstant('2027-02-30')).toBeUndefined();
    expect(parseInstant('2027-02-29T00:00:00Z')).toBeUndefined();
    expect(parseInstant('2027-06-15T09:00:00')).toBeUndefined();
    expect(parseInstant('2027-06-15T25:00:00Z')).toBeUndefined();
  });
});

describe('resolveConnection', () => {
  const none = { url: undefined, apiKey: undefined };

  it('given nothing but a key, then the URL is npm start’s default', () => {
    const connection = resolveConnection(none, { OCCASIONS_API_KEY: 'k' });
    expect(connection.baseUrl.href).toBe('http://127.0.0.1:3000/');
    expect(connection.apiKey).toBe('k');
  });

  it('given flags and environment, then the flags win', () => {
    const connection = resolveConnection(
      { url: 'https://abc.execute-api.us-east-1.amazonaws.com/prod', apiKey: 'flag' },
      { OCCASIONS_URL: 'http://127.0.0.1:9', OCCASIONS_API_KEY: 'env' },
    );
    expect(connection.baseUrl.pathname).toBe('/prod');
    expect(connection.apiKey).toBe('flag');
    expect(connection.warnings).toEqual([]);
  });

  it('given a URL carrying credentials or a query, then it is refused without repeating it', () => {
    for (const url of [
      'https://user:s3cret@api.example.com',
      'https://api.example.com/prod?api_key=s3cret',
    ]) {
      const attempt = () => resolveConnection({ url, apiKey: 'k' }, {});
      expect(attempt).toThrow(UsageError);
      expect(attempt).not.toThrow(/s3cret/);
    }
  });

  it('given a key pasted as the URL, or a URL of another scheme, then the message says what is wrong and never repeats it', () => {
    const cases: [{ url: string | undefined }, Record<string, string>, RegExp][] = [
      [{ url: 'occ_admin_s3cret' }, {}, /^--url is not a URL \(e\.g\. http:\/\/127\.0\.0\.1:3000/],
      [{ url: 'occ-admin:s3cret' }, {}, /^--url must start with http:\/\/ or https:\/\//],
      [{ url: 'ftp://s3cret.example.com' }, {}, /^--url must start with http:\/\/ or https:\/\//],
      [{ url: undefined }, { OCCASIONS_URL: 's3cret s3cret' }, /^OCCASIONS_URL is not a URL/],
      [{ url: 'https://api.example.com/#s3cret' }, {}, /^--url must not carry a fragment/],
      [
        { url: 'https://k:s3cret@api.example.com/?key=s3cret' },
        {},
        /^--url must not carry credentials, a query:/,
      ],
    ];
    for (const [flags, env, message] of cases) {
      let caught: unknown;
      try {
        resolveConnection({ apiKey: 'k', ...flags }, env);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect((caught as UsageError).message).toMatch(message);
      expect((caught as UsageError).message).not.toContain('s3cret');
    }
  });

  it('given no key anywhere, then it is an authentication error (exit 3)', () => {
    let caught: unknown;
    try {
      resolveConnection(none, { OCCASIONS_API_KEY: '' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect((caught as CliError).exitCode).toBe(ExitCode.auth);
  });

  it('given a URL ending in /v1 or plain http beyond this machine, then it warns (and drops the /v1)', () => {
    const connection = resolveConnection({ url: 'http://api.internal:8080/stage/v1/', apiKey: 'k' }, {});
    expect(connection.baseUrl.pathname).toBe('/stage');
    expect(connection.warnings).toHaveLength(2);
  });
});

describe('endpointKeyOf', () => {
  it('given any URL on an endpoint, then the key is scheme://host with the default port left out', () => {
    expect(endpointKeyOf('https://hooks.example.com/birthdays?x=1')).toBe('https://hooks.example.com');
    expect(endpointKeyOf('https://hooks.example.com:443')).toBe('https://hooks.example.com');
    expect(endpointKeyOf('http://127.0.0.1:4000/hooks')).toBe('http://127.0.0.1:4000');
    expect(endpointKeyOf('ftp://x')).toBeUndefined();
    expect(endpointKeyOf('not a url')).toBeUndefined();
  });
});

describe('main (no API needed)', () => {
  async function run(argv: string[], env: Record<string, string> = {}) {
    let stdout = '';
    let stderr = '';
    const code = await main({
      argv,
      env,
      cwd: process.cwd(),
      streams: {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
      },
    });
    return { code, stdout, stderr };
  }

  it('given --help at each level, then the help goes to stdout with exit 0', async () => {
    const root = await run(['--help']);
    expect(root.code).toBe(0);
    expect(root.stdout).toContain('users import <file.csv|file.json>');
    expect(root.stdout).toContain('Exit codes: 0 ok');
    const group = await run(['dlq', '--help']);
    expect(group.stdout).toContain('dlq redrive --all | <messageId…>');
    const command = await run(['replay', 'start', '-h']);
    expect(command.stdout).toContain('--no-watch');
    expect(command.stdout).toContain('Examples:');
  });

  it('given --version, then the package version is printed (as JSON with --json)', async () => {
    expect((await run(['--version'])).stdout).toMatch(/^occasions \d+\.\d+\.\d+\n$/);
    expect(JSON.parse((await run(['--version', '--json'])).stdout)).toEqual({
      version: expect.any(String) as string,
    });
  });

  it('given no command, an unknown one or a missing subcommand, then usage goes to stderr with exit 2', async () => {
    expect(await run([])).toMatchObject({ code: 2, stdout: '' });
    const unknown = await run(['users', 'export']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: unknown command "users export"');
    expect(unknown.stderr).toContain('Usage: occasions users <command>');
    expect((await run(['dlq'])).code).toBe(2);
  });

  it('given a bad option value with --json, then exit 2 and the error as JSON on stdout', async () => {
    const result = await run(['notifications', 'list', '--limit', 'many', '--json'], {
      OCCASIONS_API_KEY: 'k',
    });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: { exitCode: 2, message: expect.stringContaining('--limit') as string },
    });
    expect(result.stderr).toContain('Run `occasions notifications list --help` for usage.');
  });

  it('given no API key, then exit 3 before any request', async () => {
    const result = await run(['dlq', 'list']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('no API key');
  });

  it('given conflicting or missing arguments, then exit 2', async () => {
    const env = { OCCASIONS_API_KEY: 'k' };
    expect((await run(['dlq', 'redrive'], env)).code).toBe(2);
    expect((await run(['dlq', 'redrive', '--all', 'm1'], env)).code).toBe(2);
    expect((await run(['replay', 'start', '--from', '2027-06-15'], env)).code).toBe(2);
    expect((await run(['replay', 'start', '--from', '2027-06-16', '--to', '2027-06-15'], env)).code).toBe(2);
    expect((await run(['notifications', 'list', '--all', '--limit', '5'], env)).code).toBe(2);
    expect((await run(['users', 'import', 'does-not-exist.csv'], env)).stderr).toContain(
      'cannot read does-not-exist.csv: no such file',
    );
  });
});

describe('ApiClient.urlOf', () => {
  const clientFor = (base: string) =>
    new ApiClient({
      baseUrl: new URL(base),
      apiKey: 'k',
      userAgent: 'test',
      timeoutMs: 1_000,
      retry: DEFAULT_RETRY_POLICY,
      sleep: () => Promise.resolve(),
      random: () => 0,
      wallClockMs: () => 0,
      onRetry: () => undefined,
    });

  it('given a stage URL with or without a trailing slash, then paths go under the stage', () => {
    for (const base of [
      'https://abc.execute-api.us-east-1.amazonaws.com/prod',
      'https://abc.execute-api.us-east-1.amazonaws.com/prod/',
    ]) {
      expect(clientFor(base).urlOf('/v1/dlq', { limit: 5, cursor: undefined }).href).toBe(
        'https://abc.execute-api.us-east-1.amazonaws.com/prod/v1/dlq?limit=5',
      );
    }
    expect(clientFor('http://127.0.0.1:3000').urlOf('/v1/circuits/http%3A%2F%2Fa%3A1/reset').href).toBe(
      'http://127.0.0.1:3000/v1/circuits/http%3A%2F%2Fa%3A1/reset',
    );
  });
});
