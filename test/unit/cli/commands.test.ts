import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BulkResult, ReplayCounts, ReplayJob, RedriveResult } from '#api/answer-types';
import { parseCsv } from '../../../cli/csv';
import { derivedUserId } from '../../../cli/import/user-ids';
import {
  runCli,
  scripted,
  startLoopback,
  TestClock,
  type Answer,
  type Loopback,
  type SeenRequest,
} from './loopback';

/*
 * Commands run in-process (`main`) against a loopback HTTP server standing in for the API: it
 * answers what each test needs (scripted), or, for imports, keeps users like the bulk API does.
 * The real API is driven by test/e2e/cli.test.ts; these cover what it cannot make happen.
 */

let workDir: string;
const servers: Loopback[] = [];

beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'occasions-cli-unit-'));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  rmSync(workDir, { recursive: true, force: true });
});

async function serve(answer: (request: SeenRequest) => Answer): Promise<Loopback> {
  const server = await startLoopback(answer);
  servers.push(server);
  return server;
}

interface BulkItem {
  op: 'create' | 'upsert';
  id: string;
  user: { birthday?: unknown };
}

/**
 * A stand-in for POST /v1/users/bulk, enough for the CLI's accounting: create answers 409 on an
 * id it has, upsert 201 or 200; a birthday that is no calendar date is a 400 naming the field;
 * a repeated Idempotency-Key gets the first answer back with `idempotent-replayed: true`.
 */
class FakeBulkApi {
  readonly users = new Map<string, unknown>();
  readonly answered = new Map<string, { results: BulkResult[]; summary: Record<string, number> }>();

  readonly answer = (request: SeenRequest): Answer => {
    const key = String(request.headers['idempotency-key']);
    const earlier = this.answered.get(key);
    if (earlier) return { status: 200, headers: { 'idempotent-replayed': 'true' }, body: earlier };
    const { items } = request.body as { items: BulkItem[] };
    const results = items.map((item, index): BulkResult => {
      const birthday = String(item.user.birthday);
      if (!isCalendarDate(birthday))
        return {
          index,
          op: item.op,
          status: 400,
          errors: [{ path: 'user.birthday', message: 'not a date' }],
        };
      const known = this.users.has(item.id);
      if (item.op === 'create' && known) return { index, op: item.op, status: 409 };
      this.users.set(item.id, item.user);
      return { index, op: item.op, status: known ? 200 : 201, id: item.id };
    });
    const body = { results, summary: {} };
    this.answered.set(key, body);
    return { status: 200, body };
  };
}

function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.getUTCDate() === Number(match[3]);
}

const HEADER = 'firstName,lastName,birthday,timezone';

function write(name: string, text: string): string {
  writeFileSync(join(workDir, name), text);
  return name;
}

function hashOf(name: string): string {
  return createHash('sha256')
    .update(readFileSync(join(workDir, name)))
    .digest('hex');
}

describe('users import: the failed-rows file keeps each row’s id', () => {
  it('given a fixed failed-rows file, then importing it creates the row under the id it was meant to have, and again creates no one twice', async () => {
    const api = new FakeBulkApi();
    const server = await serve(api.answer);
    const cli = (args: string[]) =>
      runCli(['users', 'import', ...args, '--json'], { url: server.url, cwd: workDir });
    write(
      'users.csv',
      `${HEADER}\nAda,One,1990-01-01,UTC\nBea,Two,1990-02-30,UTC\nCy,Three,1990-03-03,UTC\n`,
    );
    const meant = derivedUserId(hashOf('users.csv'), 3);

    const first = await cli(['users.csv']);
    expect(first.code).toBe(1);
    expect(JSON.parse(first.stdout)).toMatchObject({ created: 2, failed: 1 });
    const failedText = readFileSync(join(workDir, 'users.failed.csv'), 'utf8');
    const [header, row] = parseCsv(failedText).map((entry) => (entry.kind === 'record' ? entry.fields : []));
    expect(header?.at(-1)).toBe('id');
    expect(row?.at(-1)).toBe(meant);

    // Fixed (and re-saved with CRLF, as a spreadsheet would): another file, the same id.
    write('users.failed.csv', failedText.replace('1990-02-30', '1990-02-28').replaceAll('\n', '\r\n'));
    const fixed = await cli(['users.failed.csv']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ created: 1, failed: 0 });
    expect(api.users.has(meant)).toBe(true);
    expect(api.users.size).toBe(3);

    // Again within the Idempotency-Key's 24 h: the first answer, nothing new.
    expect(JSON.parse((await cli(['users.failed.csv'])).stdout)).toMatchObject({
      created: 0,
      alreadyExisted: 1,
      replayedBatches: 1,
    });
    // After them, and after yet another edit: an upsert of the same id, still no one twice.
    api.answered.clear();
    write(
      'users.failed.csv',
      readFileSync(join(workDir, 'users.failed.csv'), 'utf8').replace('Bea', 'Beatrice'),
    );
    expect(JSON.parse((await cli(['users.failed.csv'])).stdout)).toMatchObject({ created: 0, updated: 1 });
    expect(api.users.size).toBe(3);
    expect(api.users.get(meant)).toMatchObject({ firstName: 'Beatrice', birthday: '1990-02-28' });
  });

  it('given the original file changed by a byte, then its rows get new ids: re-import the failed rows, not the edited file', async () => {
    const api = new FakeBulkApi();
    const server = await serve(api.answer);
    const cli = (file: string) =>
      runCli(['users', 'import', file, '--json'], { url: server.url, cwd: workDir });
    write('users.csv', `${HEADER}\nAda,One,1990-01-01,UTC\n`);
    expect(JSON.parse((await cli('users.csv')).stdout)).toMatchObject({ created: 1 });
    expect(JSON.parse((await cli('users.csv')).stdout)).toMatchObject({ created: 0, alreadyExisted: 1 });
    write('users.csv', `${HEADER}\r\nAda,One,1990-01-01,UTC\r\n`);
    expect(JSON.parse((await cli('users.csv')).stdout)).toMatchObject({ created: 1 });
    expect(api.users.size).toBe(2);
  });
});

describe('users import: a failed-rows file that cannot be written', () => {
  const input = `${HEADER}\nAda,One,1990-01-01,UTC\nBea,Two,1990-02-30,UTC\n`;

  it('given a --failed-rows directory that does not exist, then the summary still shows and the error names the path and ENOENT (exit 1)', async () => {
    const server = await serve(new FakeBulkApi().answer);
    write('users.csv', input);
    const path = join(workDir, 'missing', 'failed.csv');
    const run = await runCli(['users', 'import', 'users.csv', '--failed-rows', path], {
      url: server.url,
      cwd: workDir,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/created\s+1\n/);
    expect(run.stdout).toContain('Failed rows (the failed-rows file could not be written):');
    expect(run.stdout).toContain('row 3: birthday: not a date');
    expect(run.stderr).toContain(
      `error: cannot write the failed-rows file ${path}: ENOENT, its directory does not exist;`,
    );
    expect(run.stderr).not.toContain('unexpected failure');
  });

  it('given --json and a --failed-rows path that is a directory, then stdout is one JSON document: the error, with the summary', async () => {
    const server = await serve(new FakeBulkApi().answer);
    write('users.csv', input);
    mkdirSync(join(workDir, 'out'));
    const run = await runCli(['users', 'import', 'users.csv', '--failed-rows', 'out', '--json'], {
      url: server.url,
      cwd: workDir,
    });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      error: {
        exitCode: 1,
        message: expect.stringContaining(
          `cannot write the failed-rows file ${join(workDir, 'out')}: EISDIR`,
        ) as string,
        summary: { created: 1, failed: 1, failedRowsFile: null },
      },
    });
  });

  it('given an import stopped by the API and no writable failed-rows file, then both are said, and the API’s error decides the exit code', async () => {
    const server = await serve(() => ({
      status: 401,
      body: { title: 'Unauthorized', detail: 'Missing or invalid credentials', status: 401 },
    }));
    write('users.csv', `${HEADER}\n"broken,One,1990-01-01,UTC\nAda,One,1990-01-01,UTC\n`);
    const run = await runCli(
      ['users', 'import', 'users.csv', '--failed-rows', join(workDir, 'no', 'f.csv')],
      {
        url: server.url,
        cwd: workDir,
      },
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('error: cannot write the failed-rows file');
    expect(run.stderr).toContain('error: Unauthorized: Missing or invalid credentials');
  });

  it('given --failed-rows naming the input (directly or through a link), then exit 2 before anything is sent', async () => {
    const server = await serve(new FakeBulkApi().answer);
    write('users.csv', input);
    symlinkSync(join(workDir, 'users.csv'), join(workDir, 'link.csv'));
    for (const target of ['users.csv', './users.csv', 'link.csv']) {
      const run = await runCli(['users', 'import', 'users.csv', '--failed-rows', target], {
        url: server.url,
        cwd: workDir,
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--failed-rows names the input file itself (users.csv)');
    }
    expect(server.requests).toEqual([]);
    expect(readFileSync(join(workDir, 'users.csv'), 'utf8')).toBe(input);
  });
});

describe('users import: "already existed" counts only answers of an earlier run', () => {
  const created = (count: number) => ({
    results: Array.from({ length: count }, (_, index) => ({ index, op: 'create', status: 201 })),
    summary: { 201: count },
  });
  const replayed = { status: 200, headers: { 'idempotent-replayed': 'true' }, body: created(2) };

  async function importTwoRows(script: readonly Answer[]) {
    const server = await serve(scripted(script, { status: 500 }));
    write('users.csv', `${HEADER}\nAda,One,1990-01-01,UTC\nBea,Two,1990-02-02,UTC\n`);
    const clock = new TestClock();
    const run = await runCli(['users', 'import', 'users.csv', '--json'], {
      url: server.url,
      cwd: workDir,
      clock,
    });
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as Record<string, number>;
  }

  it('given waits on 429 before a replayed answer, then the rows already existed (the API did nothing on a 429)', async () => {
    const tally = await importTwoRows([
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 429, headers: { 'retry-after': '1' } },
      replayed,
    ]);
    expect(tally).toMatchObject({ created: 0, alreadyExisted: 2, replayedBatches: 1 });
  });

  it('given a 409 "still running" wait before a replayed answer, then the rows already existed', async () => {
    const tally = await importTwoRows([{ status: 409, headers: { 'retry-after': '1' } }, replayed]);
    expect(tally).toMatchObject({ created: 0, alreadyExisted: 2, replayedBatches: 1 });
  });

  it('given a 502 or a dropped connection before a replayed answer, then that answer is our own first try’s: created', async () => {
    expect(await importTwoRows([{ status: 502 }, replayed])).toMatchObject({
      created: 2,
      alreadyExisted: 0,
      replayedBatches: 0,
    });
    expect(
      await importTwoRows([{ status: 429, headers: { 'retry-after': '1' } }, 'drop', replayed]),
    ).toMatchObject({ created: 2, alreadyExisted: 0, replayedBatches: 0 });
  });
});

describe('dlq redrive --all', () => {
  const result = (messageId: string, status: 200 | 409): RedriveResult => ({
    messageId,
    status,
    outcome: status === 200 ? 'redriven' : 'already-final',
    occurrenceId: `occ_${messageId}`,
    notificationStatus: status === 200 ? 'queued' : 'delivered',
    detail: status === 200 ? 'queued again' : 'the notification is already delivered',
  });

  it('given a call that redrives nothing but sees new messages, then it goes on until a call sees nothing new', async () => {
    const server = await serve(
      scripted(
        [
          { status: 200, body: { results: ['m1', 'm2', 'm3'].map((id) => result(id, 409)), remaining: 5 } },
          { status: 200, body: { results: [result('m4', 200), result('m5', 409)], remaining: 4 } },
          { status: 200, body: { results: [result('m1', 409), result('m5', 409)], remaining: 4 } },
        ],
        { status: 500 },
      ),
    );
    const run = await runCli(['dlq', 'redrive', '--all', '--json'], { url: server.url });
    expect(run.code).toBe(1);
    expect(server.requests).toHaveLength(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ redriven: 1, notRedriven: 4, remaining: 4 });
    expect(run.stderr).toContain('call 1: 0 redriven of 3 looked at; about 5 left');

    const human = await runCli(['dlq', 'redrive', 'm4'], {
      url: (await serve(() => ({ status: 200, body: { results: [result('m4', 200)], remaining: 4 } }))).url,
    });
    expect(human.stdout).toContain('1 redriven, 0 not; about 4 still in the DLQ');
  });

  it('given an empty DLQ, then one call, and it says so', async () => {
    const server = await serve(() => ({ status: 200, body: { results: [], remaining: 0 } }));
    const run = await runCli(['dlq', 'redrive', '--all'], { url: server.url });
    expect(run.code).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(run.stdout).toBe('Nothing to redrive: the DLQ is empty.\n');
  });
});

describe('replay start: watching a job that stops moving', () => {
  const counts = (matched: number): ReplayCounts => ({
    matched,
    requeued: matched,
    skippedDelivered: 0,
    skippedInFlight: 0,
    skippedOtherStatus: 0,
    skippedChanged: 0,
  });
  const request = {
    from: '2027-06-14T00:00:00.000Z',
    to: '2027-06-16T00:00:00.000Z',
    type: null,
    userId: null,
    status: ['failed'],
    force: false,
  };
  const job = (status: ReplayJob['status'], matched: number): ReplayJob => ({
    id: 'rpl_1',
    status,
    request,
    total: 10,
    counts: counts(matched),
    error: null,
    createdAt: '2027-06-15T09:00:00.000Z',
    updatedAt: '2027-06-15T09:00:00.000Z',
    startedAt: '2027-06-15T09:00:00.000Z',
    finishedAt: status === 'done' ? '2027-06-15T09:05:00.000Z' : null,
  });

  /** The replays API: a dry run counting 10, a started job, then `jobAt(n)` for the n-th read. */
  async function replayApi(jobAt: (read: number) => ReplayJob) {
    let reads = 0;
    return serve((seen) => {
      if (seen.method === 'POST' && (seen.body as { dryRun?: boolean }).dryRun === true)
        return {
          status: 200,
          body: { dryRun: true, id: 'rpl_1', request, counts: counts(10), limit: 100_000 },
        };
      if (seen.method === 'POST') return { status: 202, body: job('running', 0) };
      reads += 1;
      return { status: 200, body: jobAt(reads) };
    });
  }
  const start = ['replay', 'start', '--from', '2027-06-14', '--to', '2027-06-16'];

  it('given a job stuck in running, then watching stops after --stall-minutes with exit 4, pointing at replay show', async () => {
    const server = await replayApi(() => job('running', 3));
    const clock = new TestClock();
    const run = await runCli([...start, '--stall-minutes', '1'], { url: server.url, clock });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(
      'replay job rpl_1 has shown no progress for 1 min (still running, 3 of 10 looked at)',
    );
    expect(run.stderr).toContain('`occasions replay show rpl_1`');
    // The first read moved the count from 0 to 3: a minute from then, at 500 ms a read.
    expect(clock.nowMs).toBe(60_500);
  });

  it('given no --stall-minutes, then a stuck job is given 10 minutes', async () => {
    // 1,200 reads of the loopback server: a few seconds of real time, none of it waiting.
    const server = await replayApi(() => job('running', 0));
    const clock = new TestClock();
    const run = await runCli([...start, '--json'], { url: server.url, clock });
    expect(run.code).toBe(4);
    expect(clock.nowMs).toBe(600_000);
    expect(JSON.parse(run.stdout)).toMatchObject({
      error: { exitCode: 4, job: { id: 'rpl_1', status: 'running' } },
    });
  });

  it('given a slow job that keeps moving, then it is watched to the end, however long', async () => {
    // One more notification looked at every 40 reads (20 s): 200 s in all, well past the minute.
    const server = await replayApi((read) =>
      read >= 400 ? job('done', 10) : job('running', Math.floor(read / 40)),
    );
    const clock = new TestClock();
    const run = await runCli([...start, '--stall-minutes', '1'], { url: server.url, clock });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^status:\s+done$/m);
    expect(clock.nowMs).toBe(200_000);
  });

  it('given --stall-minutes out of range, then a usage error before any request', async () => {
    const server = await replayApi(() => job('done', 10));
    const run = await runCli([...start, '--stall-minutes', '0'], { url: server.url });
    expect(run.code).toBe(2);
    expect(server.requests).toEqual([]);
  });
});
