import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/errors';
import { planBatches, problemsOf } from '../../../cli/import/bulk-import';
import { defaultFailedRowsPath, renderFailedRows } from '../../../cli/import/failed-rows';
import { readImportInput } from '../../../cli/import/read-input';
import { derivedUserId } from '../../../cli/import/user-ids';
import { backoffMs, DEFAULT_RETRY_POLICY, retryAfterMs } from '../../../cli/retry';

const csv = (text: string) => readImportInput(Buffer.from(text), 'csv');
const json = (value: unknown) => readImportInput(Buffer.from(JSON.stringify(value)), 'json');

describe('readImportInput (CSV)', () => {
  it('given columns in any case and separators, then each row maps to the profile fields, trimmed', () => {
    const input = csv('First Name,last_name,BIRTHDAY,timeZone\n John ,Doe,1990-06-15,Asia/Kolkata \n');
    expect(input.rows).toEqual([
      {
        row: 2,
        original: { kind: 'csv', fields: [' John ', 'Doe', '1990-06-15', 'Asia/Kolkata '] },
        operation: {
          id: undefined,
          user: { firstName: 'John', lastName: 'Doe', birthday: '1990-06-15', timezone: 'Asia/Kolkata' },
        },
        problems: [],
      },
    ]);
  });

  it('given an id column, then a row with an id carries it (lowercased) and one without does not', () => {
    const input = csv(
      'id,firstName,lastName,birthday,timezone\nAAAAAAAA-0000-4000-8000-00000000000A,A,B,1990-01-01,UTC\n,C,D,1990-01-01,UTC\n',
    );
    expect(input.rows.map((row) => row.operation?.id)).toEqual([
      'aaaaaaaa-0000-4000-8000-00000000000a',
      undefined,
    ]);
  });

  it('given columns starting with _ (a failed-rows file), then they are ignored', () => {
    const input = csv('_row,_error,firstName,lastName,birthday,timezone\n3,bad,A,B,1990-01-01,UTC\n');
    expect(input.rows[0]?.operation?.user).toEqual({
      firstName: 'A',
      lastName: 'B',
      birthday: '1990-01-01',
      timezone: 'UTC',
    });
  });

  it('given a row with more or fewer fields than the header, or bad quoting, then it is a failed row, not a crash', () => {
    const input = csv(
      'firstName,lastName,birthday,timezone\nA,B,1990-01-01,UTC,x\nA,B\n"A,B,1990-01-01,UTC\nC,D,1990-01-01,UTC\n',
    );
    expect(input.rows.map((row) => [row.row, row.problems.map((problem) => problem.field)])).toEqual([
      [2, ['row']],
      [3, ['row']],
      [4, ['row']],
      [5, []],
    ]);
    expect(input.rows[0]?.original).toEqual({ kind: 'csv-raw', raw: 'A,B,1990-01-01,UTC,x' });
  });

  it('given a header that is empty, lacks a field, repeats one or has an unknown column, then it is a usage error', () => {
    expect(() => csv('')).toThrow(UsageError);
    expect(() => csv('firstName,lastName,birthday\n')).toThrow('the CSV header lacks timezone');
    expect(() => csv('firstName,first_name,lastName,birthday,timezone\n')).toThrow('appears twice');
    expect(() => csv('firstName,lastName,birthday,timezone,email\n')).toThrow('unknown CSV column "email"');
  });
});

describe('readImportInput (JSON)', () => {
  it('given an array, or an exported page, then read-only and _ fields are dropped and id kept', () => {
    const exported = {
      items: [
        {
          id: 'aaaaaaaa-0000-4000-8000-00000000000a',
          firstName: 'A',
          lastName: 'B',
          birthday: '1990-01-01',
          timezone: 'UTC',
          createdAt: 'x',
          version: 3,
          nextNotificationAt: 'y',
          _note: 'z',
        },
      ],
    };
    expect(json(exported).rows[0]?.operation).toEqual({
      id: 'aaaaaaaa-0000-4000-8000-00000000000a',
      user: { firstName: 'A', lastName: 'B', birthday: '1990-01-01', timezone: 'UTC' },
    });
    expect(json([{ firstName: 'A' }]).rows[0]?.row).toBe(1);
  });

  it('given items that are not objects or an id that is not a string, then those are failed rows', () => {
    const input = json([42, { id: 7, firstName: 'A' }, { firstName: 'B' }]);
    expect(input.rows.map((row) => row.problems.map((problem) => problem.field))).toEqual([
      ['row'],
      ['id'],
      [],
    ]);
  });

  it('given no array or invalid JSON, then it is a usage error; a file starting with [ is JSON by itself', () => {
    expect(() => json({ users: [] })).toThrow(UsageError);
    expect(() => readImportInput(Buffer.from('[{'), 'json')).toThrow(/not valid JSON/);
    expect(readImportInput(Buffer.from(' [{"firstName":"A"}]'), undefined).format).toBe('json');
    expect(readImportInput(Buffer.from('firstName,lastName,birthday,timezone\n'), undefined).format).toBe(
      'csv',
    );
  });
});

describe('derivedUserId', () => {
  it('given the same file and row, then the same UUID (version 8), and another row another one', () => {
    const id = derivedUserId('ab'.repeat(32), 2);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(derivedUserId('ab'.repeat(32), 2)).toBe(id);
    expect(derivedUserId('ab'.repeat(32), 3)).not.toBe(id);
    expect(derivedUserId('cd'.repeat(32), 2)).not.toBe(id);
  });
});

describe('failed rows', () => {
  it('given failed CSV rows, then the file repeats them with their line, fields and derived id, and imports again as it is', () => {
    const input = csv('firstName,lastName,birthday,timezone\nA,B,1990-02-30,UTC\nA,B,C,D,E\n');
    const [bad, split] = input.rows;
    const text = renderFailedRows(input, [
      { row: split!, problems: split!.problems },
      { row: bad!, problems: [{ field: 'birthday', message: 'birthday must be a real calendar date' }] },
    ]);
    const [idOfBad, idOfSplit] = [derivedUserId(input.contentHash, 2), derivedUserId(input.contentHash, 3)];
    expect(text).toBe(
      '_row,_field,_error,_raw,firstName,lastName,birthday,timezone,id\n' +
        `2,birthday,birthday: birthday must be a real calendar date,,A,B,1990-02-30,UTC,${idOfBad}\n` +
        `3,row,row: 5 fields where the header has 4 (an unquoted comma?),"A,B,C,D,E",,,,,${idOfSplit}\n`,
    );
    // Imported again, the row is an upsert of the id it was to be created under.
    expect(csv(text).rows[0]?.operation).toEqual({
      id: idOfBad,
      user: { firstName: 'A', lastName: 'B', birthday: '1990-02-30', timezone: 'UTC' },
    });
  });

  it('given failed CSV rows of a file with an id column, then a row’s own id stays and an empty one gets the derived id', () => {
    const input = csv(
      'ID,firstName,lastName,birthday,timezone\nAAAAAAAA-0000-4000-8000-00000000000A,A,B,x,UTC\n,C,D,y,UTC\n',
    );
    const text = renderFailedRows(
      input,
      input.rows.map((row) => ({ row, problems: [{ field: 'birthday', message: 'bad' }] })),
    );
    expect(text.split('\n')[0]).toBe('_row,_field,_error,_raw,ID,firstName,lastName,birthday,timezone');
    expect(csv(text).rows.map((row) => row.operation?.id)).toEqual([
      'aaaaaaaa-0000-4000-8000-00000000000a',
      derivedUserId(input.contentHash, 3),
    ]);
  });

  it('given failed JSON rows, then each item gets _row, _errors and its id beside its own fields', () => {
    const input = json([{ firstName: 'A', _row: 9 }, 5, { id: 7, firstName: 'B' }]);
    const text = renderFailedRows(
      input,
      input.rows.map((row) => ({ row, problems: [{ field: 'row', message: 'no' }] })),
    );
    expect(JSON.parse(text)).toEqual([
      {
        _row: 1,
        _errors: [{ field: 'row', message: 'no' }],
        id: derivedUserId(input.contentHash, 1),
        firstName: 'A',
      },
      {
        _row: 2,
        _errors: [{ field: 'row', message: 'no' }],
        id: derivedUserId(input.contentHash, 2),
        _raw: 5,
      },
      // An id of the item's own, even a wrong one, is left for the person fixing it.
      { _row: 3, _errors: [{ field: 'row', message: 'no' }], id: 7, firstName: 'B' },
    ]);
    expect(json(JSON.parse(text)).rows[0]?.operation?.id).toBe(derivedUserId(input.contentHash, 1));
  });

  it('given an input path, then the failed-rows file sits next to it, in its format', () => {
    expect(defaultFailedRowsPath('/data/users.csv', 'csv')).toBe('/data/users.failed.csv');
    expect(defaultFailedRowsPath('export', 'json')).toBe('export.failed.json');
  });

  it('given the API’s errors on a row, then the fields are named without the user. prefix', () => {
    expect(
      problemsOf({
        index: 0,
        op: 'create',
        status: 400,
        errors: [{ path: 'user.birthday', message: 'bad' }],
      }),
    ).toEqual([{ field: 'birthday', message: 'bad' }]);
    expect(problemsOf({ index: 0, op: 'upsert', status: 404 })).toEqual([
      { field: 'row', message: 'no such user' },
    ]);
  });
});

describe('planBatches', () => {
  it('given more rows than a batch holds, then batches are full but for the last, in order', () => {
    const operations = Array.from({ length: 2_501 }, (_, index) => ({ item: { index } }));
    const batches = planBatches(operations, 1_000);
    expect(batches.map((batch) => batch.length)).toEqual([1_000, 1_000, 501]);
    expect(batches.flat()).toEqual(operations);
  });

  it('given large rows, then a batch stays under about 900 KB of JSON', () => {
    const operations = Array.from({ length: 10 }, () => ({ item: { name: 'x'.repeat(200_000) } }));
    expect(planBatches(operations, 1_000).map((batch) => batch.length)).toEqual([4, 4, 2]);
  });
});

describe('retry timing', () => {
  it('given Retry-After in seconds, as a date, absent or absurd, then the wait is read and bounded', () => {
    const now = Date.parse('2027-06-15T09:00:00Z');
    expect(retryAfterMs('3', now, 1_000, 60_000)).toBe(3_000);
    expect(retryAfterMs('Tue, 15 Jun 2027 09:00:10 GMT', now, 1_000, 60_000)).toBe(10_000);
    expect(retryAfterMs(null, now, 1_000, 60_000)).toBe(1_000);
    expect(retryAfterMs('soon', now, 1_000, 60_000)).toBe(1_000);
    expect(retryAfterMs('86400', now, 1_000, 60_000)).toBe(60_000);
  });

  it('given successive retries, then the backoff doubles within ±25 % up to its cap', () => {
    expect(backoffMs(DEFAULT_RETRY_POLICY, 0, 0.5)).toBe(500);
    expect(backoffMs(DEFAULT_RETRY_POLICY, 2, 0)).toBe(1_500);
    expect(backoffMs(DEFAULT_RETRY_POLICY, 10, 0.999)).toBeLessThanOrEqual(10_000);
  });
});
