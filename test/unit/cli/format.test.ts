import { describe, expect, it } from 'vitest';
import type { NotificationDetail } from '#api/answer-types';
import { renderNotification } from '../../../cli/commands/notifications';
import { formatFields, formatTable, oneLine, printable } from '../../../cli/format';
import { jsonText, Output } from '../../../cli/output';

/** What a hostile webhook receiver answers: write the clipboard (OSC 52), then clear the screen. */
const CLIPBOARD_WRITE = '\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07';
const CLEAR_SCREEN = '\x1b[2J';
const HOSTILE = `ok${CLIPBOARD_WRITE}${CLEAR_SCREEN}\x9b31m\x7f`;
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const ANY_CONTROL = /[\x00-\x08\x0B-\x1F\x7F-\x9F]/;

describe('printable', () => {
  it('given OSC 52 and CSI sequences, then every control character is shown as an escape, not sent', () => {
    expect(printable(CLIPBOARD_WRITE)).toBe('\\u{1b}]52;c;Y3VybCBldmlsLnNoIHwgc2g=\\u{7}');
    expect(printable(CLEAR_SCREEN)).toBe('\\u{1b}[2J');
    expect(printable('\x9b31m\x7f\x00')).toBe('\\u{9b}31m\\u{7f}\\u{0}');
  });

  it('given ordinary text, tabs, line feeds and non-ASCII letters, then they are left alone; twice is once', () => {
    expect(printable('Zoë\tO’Brien\nline two')).toBe('Zoë\tO’Brien\nline two');
    expect(printable(printable(HOSTILE))).toBe(printable(HOSTILE));
  });
});

describe('human output of text from the API', () => {
  it('given hostile cells, then a table holds no control character and its columns line up', () => {
    const table = formatTable(
      ['ID', 'REASON'],
      [
        [`m1${CLEAR_SCREEN}`, HOSTILE],
        ['m2', 'fine'],
      ],
    );
    expect(table).not.toMatch(ANY_CONTROL);
    const lines = table.split('\n');
    expect(lines[1]?.indexOf('ok')).toBe(lines[0]?.indexOf('REASON'));
    expect(lines[2]?.indexOf('fine')).toBe(lines[0]?.indexOf('REASON'));
  });

  it('given a value with a line break, then it stays on its line and cannot pass for another field', () => {
    const fields = formatFields([
      ['last error', 'boom\nstatus: delivered'],
      ['status', 'failed'],
    ]);
    expect(fields.split('\n')).toEqual(['last error: boom status: delivered', 'status:     failed']);
    expect(oneLine(`a\n${CLEAR_SCREEN}b`)).toBe('a \\u{1b}[2Jb');
  });

  it('given a notification whose receiver answered escape sequences, then `notifications show` prints none', () => {
    const text = renderNotification(notificationAnswering(HOSTILE));
    expect(text).not.toMatch(ANY_CONTROL);
    expect(text).toContain('\\u{1b}]52;c;');
    expect(text).toContain('\\u{1b}[2J');
  });

  it('given --json, then the document is exact JSON: the same strings once parsed, no raw control character', () => {
    let stdout = '';
    const output = new Output(
      { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true } },
      { json: true, quiet: false },
      () => 0,
    );
    const document = notificationAnswering(HOSTILE);
    output.result(document, () => 'unused');
    expect(stdout).not.toMatch(ANY_CONTROL);
    expect(JSON.parse(stdout)).toEqual(document);
    expect(jsonText({ reply: '\x9b' })).toBe('{\n  "reply": "\\u009b"\n}');
  });

  it('given messages quoting the API on stderr, then notes, warnings and errors are printable too', () => {
    let stderr = '';
    const output = new Output(
      { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } },
      { json: false, quiet: false },
      () => 0,
    );
    output.note(HOSTILE);
    output.warn(HOSTILE);
    output.error(`Bad Request: ${HOSTILE}\nGET /v1/x answered 400`);
    expect(stderr).not.toMatch(ANY_CONTROL);
    expect(stderr.split('\n')).toHaveLength(5);
  });
});

function notificationAnswering(response: string): NotificationDetail {
  return {
    id: 'occ_1',
    userId: 'u1',
    type: 'birthday',
    eventId: null,
    localDate: '2027-06-15',
    timezone: 'UTC',
    scheduledFor: '2027-06-15T09:00:00.000Z',
    status: 'failed',
    statusReason: response,
    attemptCount: 1,
    deferralCount: 0,
    nextAttemptAt: null,
    deliveredAt: null,
    lastError: `HTTP 400: ${response}`,
    correlationId: null,
    createdAt: '2027-06-15T09:00:00.000Z',
    updatedAt: '2027-06-15T09:00:00.000Z',
    version: 1,
    attempts: [
      {
        sequence: 1,
        at: '2027-06-15T09:00:00.031Z',
        durationMs: 4,
        outcome: 'permanent',
        statusCode: 400,
        error: null,
        response,
        trigger: 'scheduled',
      },
    ],
  };
}
