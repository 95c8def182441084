import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCsvLine, parseCsv, type CsvEntry } from '../../../cli/csv';

const records = (entries: CsvEntry[]): string[][] =>
  entries.map((entry) => (entry.kind === 'record' ? entry.fields : [`ERROR: ${entry.message}`]));

describe('parseCsv (RFC 4180)', () => {
  it('given plain records with LF or CRLF line ends, then each record is split at its commas', () => {
    expect(records(parseCsv('a,b,c\n1,2,3\n'))).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
    ]);
    expect(records(parseCsv('a,b\r\n1,2\r\n'))).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('given no line break after the last record, then the last record is still read', () => {
    expect(records(parseCsv('a,b\n1,2'))).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('given quoted fields, then commas, line breaks and doubled quotes inside them are data', () => {
    const entries = parseCsv('name,note\n"Doe, John","said ""hi""\nand left"\nx,y\n');
    expect(records(entries)).toEqual([
      ['name', 'note'],
      ['Doe, John', 'said "hi"\nand left'],
      ['x', 'y'],
    ]);
    // The record after a two-line field starts on line 4.
    expect(entries.map((entry) => entry.line)).toEqual([1, 2, 4]);
  });

  it('given empty fields, a trailing comma and an empty quoted field, then each is an empty string', () => {
    expect(records(parseCsv('a,,c,\n"",x,"",\n'))).toEqual([
      ['a', '', 'c', ''],
      ['', 'x', '', ''],
    ]);
  });

  it('given a byte-order mark and blank lines, then the mark is dropped and blank lines are no records', () => {
    const entries = parseCsv('\uFEFFa,b\n\n1,2\r\n\r\n3,4\n');
    expect(records(entries)).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(entries.map((entry) => entry.line)).toEqual([1, 3, 5]);
  });

  it('given text after a closing quote, then that record is an error and the next line is read', () => {
    const entries = parseCsv('a,b\n"x"y,1\nok,2\n');
    expect(entries[1]).toEqual({
      kind: 'error',
      line: 2,
      raw: '"x"y,1',
      message: 'unexpected text after a closing quote (use "" for a quote)',
    });
    expect(records(entries)[2]).toEqual(['ok', '2']);
  });

  it('given a quote inside an unquoted field, then that record is an error', () => {
    const [, bad] = parseCsv('a,b\nO"Brien,1\n');
    expect(bad).toMatchObject({ kind: 'error', line: 2, raw: 'O"Brien,1' });
  });

  it('given a quote that never closes, then only its line is lost and every later row is read', () => {
    const entries = parseCsv('a,b\n"broken,1\r\nx,2\ny,3\n');
    expect(entries[1]).toMatchObject({ kind: 'error', line: 2, raw: '"broken,1' });
    expect(entries[1]?.kind === 'error' && entries[1].message).toMatch(/does not close on this line/);
    expect(records(entries).slice(2)).toEqual([
      ['x', '2'],
      ['y', '3'],
    ]);
  });

  it('given a stray quote whose field would close lines later, then the rows in between are not swallowed', () => {
    const entries = parseCsv('a,b\n"stray,1\nx,"y"\nz,3\n');
    expect(entries.map((entry) => [entry.kind, entry.line])).toEqual([
      ['record', 1],
      ['error', 2],
      ['record', 3],
      ['record', 4],
    ]);
    expect(records(entries)[2]).toEqual(['x', 'y']);
  });
});

describe('formatCsvLine', () => {
  it('given fields with commas, quotes or line breaks, then only those are quoted, quotes doubled', () => {
    expect(formatCsvLine(['plain', 'a,b', 'say "hi"', 'two\nlines', ''])).toBe(
      'plain,"a,b","say ""hi""","two\nlines",',
    );
  });

  it('given any records, when formatted and parsed again, then the same records come back', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r', 'é', '1') });
    // A record of one empty field is a blank line, which the parser skips on purpose.
    const record = fc
      .array(field, { minLength: 1, maxLength: 5 })
      .filter((fields) => fields.join('') !== '' || fields.length > 1);
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (input) => {
        const text = input.map(formatCsvLine).join('\r\n');
        expect(records(parseCsv(text))).toEqual(input);
      }),
    );
  });
});
