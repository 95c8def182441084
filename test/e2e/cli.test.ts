import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../cli/csv';
import { derivedUserId } from '../../cli/import/user-ids';
import {
  CHILD_ADMIN_API_KEY,
  exitWithin,
  startChildRuntime,
  type ChildRuntime,
} from '../support/child-runtime';
import { FaultReceiver } from '../support/fault-receiver';

/*
 * `occasions …` as a user runs it: `node cli/occasions.mjs` as a child process, against the
 * local runtime started as `npm start` starts it (its own process, simulated clock), and a
 * webhook receiver the test controls. Nothing is mocked; time moves only through /_local/clock.
 */

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(REPO_ROOT, 'cli/occasions.mjs');
const CLOCK_START = '2027-06-10T00:00:00Z';
const BIRTHDAY_WINDOW = { from: '2027-06-15T00:00:00Z', to: '2027-06-16T00:00:00Z' };
const USERS_IN_FILE = 5_000;
/** Upserts (the file gives their id) the receiver rejects: one for the DLQ, one for a replay. */
const DANA_ID = 'aaaaaaaa-0000-4000-8000-00000000000a';
const RITA_ID = 'bbbbbbbb-0000-4000-8000-00000000000b';
/**
 * Real-time bound on the scenario. Measured 48–75 s on 2 busy cores, most of it the runtime
 * applying the 5,000 rows (about 10 ms of its CPU each); every other command takes about a second.
 */
const SCENARIO_TIMEOUT_MS = 240_000;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface NotificationItem {
  id: string;
  userId: string;
  status: string;
}

describe('the occasions CLI against the local runtime', () => {
  let receiver: FaultReceiver;
  let runtime: ChildRuntime;
  let workDir: string;
  /** Users whose webhook the receiver answers 400 (a permanent failure: straight to the DLQ). */
  const rejected = new Set<string>([DANA_ID, RITA_ID]);

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'occasions-cli-'));
    receiver = await new FaultReceiver().start();
    receiver.behave(({ userId }) => ({ status: rejected.has(userId) ? 400 : 204 }));
    runtime = await startChildRuntime({
      DATA_DIR: join(workDir, 'data'),
      CLOCK_START,
      WEBHOOK_URL: receiver.url,
    });
  });

  afterAll(async () => {
    if (runtime.child.exitCode === null && runtime.child.signalCode === null) runtime.child.kill('SIGTERM');
    await exitWithin(runtime, 20_000);
    await receiver.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** Runs `node cli/occasions.mjs …` with the runtime's URL and key in its environment. */
  function occasions(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith('OCCASIONS_'),
      ),
    );
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: workDir,
      env: { ...inherited, OCCASIONS_URL: runtime.url, OCCASIONS_API_KEY: CHILD_ADMIN_API_KEY, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return new Promise((resolveRun) => {
      child.once('close', (code) => {
        resolveRun({ code, stdout, stderr });
      });
    });
  }

  async function local(path: string, body?: unknown): Promise<unknown> {
    const answer = await runtime.api('POST', path, body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body;
  }

  async function countUsers(): Promise<number> {
    let count = 0;
    let cursor: string | null = null;
    do {
      const page = await runtime.api(
        'GET',
        `/v1/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      const body = page.body as { items: unknown[]; nextCursor: string | null };
      count += body.items.length;
      cursor = body.nextCursor;
    } while (cursor);
    return count;
  }

  it(
    'given a CSV of 5,000 users with bad rows, when imported (twice), listed, failed into the DLQ, redriven, replayed and circuits reset, then every command answers as documented',
    async () => {
      // ── users import: 5,000 rows, 5 bad (3 the API rejects, 2 malformed CSV) ──
      const file = generateUsersCsv();
      writeFileSync(join(workDir, 'users.csv'), file.text);

      const first = await occasions(['users', 'import', 'users.csv', '--json']);
      expect(first.code, first.stderr).toBe(1);
      expect(JSON.parse(first.stdout)).toMatchObject({
        rows: USERS_IN_FILE,
        created: USERS_IN_FILE - 5,
        alreadyExisted: 0,
        failed: 5,
        failedRowsFile: join(workDir, 'users.failed.csv'),
      });
      expect(first.stderr).toMatch(/importing users: 5,000\/5,000 {2}100%/);

      const failedRows = parseCsv(readFileSync(join(workDir, 'users.failed.csv'), 'utf8'));
      const [header, ...failures] = failedRows.map((entry) => (entry.kind === 'record' ? entry.fields : []));
      expect(header).toEqual([
        '_row',
        '_field',
        '_error',
        '_raw',
        'firstName',
        'lastName',
        'birthday',
        'timezone',
        'id',
      ]);
      expect(failures.map((fields) => [Number(fields[0]), fields[1]])).toEqual(file.badRows);
      expect(failures[0]).toEqual(expect.arrayContaining(['Bad', 'Date', '1990-02-30', 'UTC']));

      // Again: the same batches are answered from the API's idempotency record; nothing new.
      const again = await occasions(['users', 'import', 'users.csv']);
      expect(again.code).toBe(1);
      expect(again.stdout).toMatch(/created\s+0\n/);
      expect(again.stdout).toMatch(/already existed or updated\s+4,995\n/);
      expect(again.stdout).toMatch(/failed\s+5\n/);
      expect(again.stdout).toContain('row 3: birthday: ');
      expect(await countUsers()).toBe(USERS_IN_FILE - 5);

      // Each failed row carries the id it was to be created under: fixed (another file, so other
      // derived ids) and imported twice, the row is created once, under that id.
      const badDateId = derivedUserId(createHash('sha256').update(file.text).digest('hex'), 3);
      expect(failures[0]?.at(-1)).toBe(badDateId);
      const [failedHeader = '', badDateLine = ''] = readFileSync(
        join(workDir, 'users.failed.csv'),
        'utf8',
      ).split('\n');
      writeFileSync(
        join(workDir, 'fixed.csv'),
        `${failedHeader}\r\n${badDateLine.replace('1990-02-30', '1990-02-28')}\r\n`,
      );
      const fixed = await occasions(['users', 'import', 'fixed.csv', '--json']);
      expect(fixed.code, fixed.stderr).toBe(0);
      expect(JSON.parse(fixed.stdout)).toMatchObject({ created: 1, failed: 0 });
      const fixedAgain = await occasions(['users', 'import', 'fixed.csv', '--json']);
      expect(JSON.parse(fixedAgain.stdout)).toMatchObject({ created: 0, alreadyExisted: 1, failed: 0 });
      expect((await runtime.api('GET', `/v1/users/${badDateId}`)).status).toBe(200);
      expect(await countUsers()).toBe(USERS_IN_FILE - 5 + 1);

      // After the 24 h of an Idempotency-Key, the derived ids still make a re-run a no-op.
      writeFileSync(join(workDir, 'few.json'), JSON.stringify(fewUsers(), null, 2));
      const few = await occasions(['users', 'import', 'few.json', '--json']);
      expect(JSON.parse(few.stdout)).toMatchObject({ created: 3, failed: 0 });
      await local('/_local/clock', { now: '2027-06-11T12:00:00Z' });
      const fewAgain = await occasions(['users', 'import', 'few.json', '--json']);
      expect(fewAgain.code).toBe(0);
      expect(JSON.parse(fewAgain.stdout)).toMatchObject({
        created: 0,
        alreadyExisted: 3,
        replayedBatches: 0,
      });
      expect(await countUsers()).toBe(USERS_IN_FILE - 5 + 1 + 3);

      // ── the birthday: Olive delivered, Dana and Rita rejected (400) into the DLQ ──
      await local('/_local/clock', { now: '2027-06-15T09:00:00Z' });
      await local('/_local/tick');
      expect(await local('/_local/drain', { timeoutSeconds: 20 })).toMatchObject({
        delivered: 1,
        failed: 2,
        dlq: 2,
      });

      // notifications list follows the cursor (pages of 1) and prints JSON.
      const listed = await occasions([
        'notifications',
        'list',
        '--from',
        BIRTHDAY_WINDOW.from,
        '--to',
        BIRTHDAY_WINDOW.to,
        '--page-size',
        '1',
        '--all',
        '--json',
      ]);
      expect(listed.code, listed.stderr).toBe(0);
      const page = JSON.parse(listed.stdout) as { items: NotificationItem[]; nextCursor: string | null };
      expect(page.nextCursor).toBeNull();
      const statusOf = Object.fromEntries(page.items.map((item) => [item.userId, item.status]));
      expect(statusOf).toMatchObject({ [DANA_ID]: 'failed', [RITA_ID]: 'failed' });
      expect(page.items.map((item) => item.status).sort()).toEqual(['delivered', 'failed', 'failed']);
      const danaNotification = page.items.find((item) => item.userId === DANA_ID)!.id;

      // ── dlq list, then redrive Dana's message once the receiver accepts ──
      const dlq = await occasions(['dlq', 'list', '--json']);
      const letters = (JSON.parse(dlq.stdout) as { items: { messageId: string; userId: string }[] }).items;
      expect(letters).toHaveLength(2);
      const messageOf = (userId: string): string =>
        letters.find((letter) => letter.userId === userId)!.messageId;

      rejected.clear();
      const redrive = await occasions(['dlq', 'redrive', messageOf(DANA_ID)]);
      expect(redrive.code, redrive.stderr).toBe(0);
      expect(redrive.stdout).toContain('1 redriven, 0 not');
      expect(await local('/_local/drain', { timeoutSeconds: 20 })).toMatchObject({ delivered: 2, dlq: 1 });
      expect(receiver.accepted(DANA_ID)).toHaveLength(1);

      const shown = await occasions(['notifications', 'show', danaNotification]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toMatch(/^status:\s+delivered/m);
      expect(shown.stdout).toMatch(
        /#1 .+ permanent +HTTP 400 .+ scheduled[\s\S]*\n {2}#2 .+ delivered +HTTP 204/,
      );

      // ── replay the day: Rita's failed notification goes out, the delivered ones are left ──
      const replay = await occasions([
        'replay',
        'start',
        '--from',
        BIRTHDAY_WINDOW.from,
        '--to',
        BIRTHDAY_WINDOW.to,
      ]);
      expect(replay.code, replay.stderr).toBe(0);
      expect(replay.stderr).toContain('dry run: 1 of 3 notifications to replay (left alone: 2 delivered)');
      expect(replay.stderr).toMatch(/started replay job rpl_[0-9a-f]+/);
      expect(replay.stderr).toMatch(/replay rpl_[0-9a-f]+: 3\/3 {2}100% .*done, 1 requeued/);
      expect(replay.stdout).toMatch(/^status:\s+done$/m);
      await local('/_local/drain', { timeoutSeconds: 20 });
      expect(receiver.accepted(RITA_ID)).toHaveLength(1);

      // Rita's dead letter is stale now: delete it; the DLQ is empty.
      const deleted = await occasions(['dlq', 'delete', messageOf(RITA_ID)]);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(JSON.parse((await occasions(['dlq', 'list', '--json'])).stdout)).toMatchObject({ items: [] });

      // ── circuits: held open by an admin, listed, reset by any URL on the endpoint ──
      const endpoint = new URL(receiver.url).origin;
      expect(
        (await runtime.api('POST', `/v1/circuits/${encodeURIComponent(endpoint)}/open`, {})).status,
      ).toBe(200);
      const circuits = await occasions(['circuits', 'list', '--json']);
      expect(JSON.parse(circuits.stdout)).toMatchObject({
        items: [{ endpoint, state: 'open', forced: true }],
      });
      const reset = await occasions(['circuits', 'reset', receiver.url]);
      expect(reset.code, reset.stderr).toBe(0);
      expect(reset.stdout).toBe(`Reset ${endpoint}: now closed.\n`);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it('given a wrong key, an unreachable URL, an unknown command or a stage path, then each exits with its documented code and says why', async () => {
    const closedPort = await freePort();
    const stage = await startStageProxy(runtime.url);
    const [wrongKey, unreachable, unknown, viaStage, withoutStage] = await Promise.all([
      occasions(['dlq', 'list'], { OCCASIONS_API_KEY: 'not-the-key-s3cr3t' }),
      occasions(['circuits', 'list', '--url', `http://127.0.0.1:${closedPort}`]),
      occasions(['frobnicate', 'now']),
      occasions(['replay', 'list', '--json', '--url', `${stage.url}/prod/`]),
      occasions(['replay', 'list', '--url', stage.url]),
    ]).finally(() => stage.close());

    expect(wrongKey.code).toBe(3);
    expect(wrongKey.stderr).toContain('error: Missing or invalid credentials');
    expect(wrongKey.stderr).toContain('Check the API key (--api-key or OCCASIONS_API_KEY).');
    expect(`${wrongKey.stdout}${wrongKey.stderr}`).not.toContain('not-the-key-s3cr3t');

    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toContain(
      `cannot reach the API at http://127.0.0.1:${closedPort}/v1/circuits: connection refused`,
    );

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: unknown command "frobnicate"');
    expect(unknown.stderr).toContain('Usage: occasions <group> <command>');
    expect(unknown.stdout).toBe('');

    // Behind a gateway's stage path, as in AWS: the paths go under it; without it, a clear hint.
    expect(viaStage.code, viaStage.stderr).toBe(0);
    expect(JSON.parse(viaStage.stdout)).toHaveProperty('items');
    expect(withoutStage.code).toBe(4);
    expect(withoutStage.stderr).toContain('does --url include the stage');
  }, 60_000);
});

/**
 * 5,000 data rows (line n+2 is row n): birthdays from January to May (nothing due in June but
 * the three June people), five bad rows, and one name with a quoted comma and quote.
 */
function generateUsersCsv(): { text: string; badRows: [number, string][] } {
  const zones = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney'];
  const lines = ['firstName,lastName,birthday,timezone,id'];
  for (let index = 0; index < USERS_IN_FILE; index += 1) {
    const month = String(1 + (index % 5)).padStart(2, '0');
    const day = String(1 + (index % 28)).padStart(2, '0');
    lines.push(`User${index},Import,${1950 + (index % 50)}-${month}-${day},${zones[index % zones.length]},`);
  }
  const put = (row: number, line: string): void => {
    lines[row - 1] = line;
  };
  put(2, 'Olive,"O""Brien, Jr.",1992-06-15,UTC,');
  put(3, 'Bad,Date,1990-02-30,UTC,');
  put(4, `Dana,Letter,1990-06-15,UTC,${DANA_ID}`);
  put(5, `Rita,Replay,1985-06-15,UTC,${RITA_ID}`);
  put(1_000, 'Bad,Zone,1990-01-01,Mars/Olympus,');
  put(2_500, ',Nameless,1990-01-01,UTC,');
  put(4_000, 'Too,Many,1990-01-01,UTC,,extra');
  put(4_500, '"Stray,Quote,1990-01-01,UTC,');
  return {
    text: `${lines.join('\r\n')}\r\n`,
    badRows: [
      [3, 'birthday'],
      [1_000, 'timezone'],
      [2_500, 'firstName'],
      [4_000, 'row'],
      [4_500, 'row'],
    ],
  };
}

function fewUsers(): { firstName: string; lastName: string; birthday: string; timezone: string }[] {
  return ['Ann', 'Ben', 'Cy'].map((firstName) => ({
    firstName,
    lastName: 'Json',
    birthday: '1970-03-03',
    timezone: 'Europe/Berlin',
  }));
}

/**
 * An HTTP proxy serving the runtime under `/prod`, as API Gateway serves a stage; other paths get
 * API Gateway's answer to a path it does not know.
 */
async function startStageProxy(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createHttpServer((req, res) => {
    const path = (req.url ?? '/').replace(/^\/prod(?=\/)/, '');
    if (path === req.url) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end('{"message":"Missing Authentication Token"}');
      return;
    }
    const upstream = httpRequest(
      new URL(path, target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => {
          resolveClose();
        });
      }),
  };
}

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolveClose) => {
    server.close(() => {
      resolveClose();
    });
  });
  return port;
}
