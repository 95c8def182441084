import { describe, expect, it } from 'vitest';
import { ProgressReporter, renderProgressBar, renderProgressLine } from '../../../cli/progress';

describe('renderProgressBar', () => {
  it('given 40 % done after 2 s, then the bar is 40 % filled, with the count, rate and estimate', () => {
    const line = renderProgressBar({ label: 'import', done: 2_000, total: 5_000, elapsedMs: 2_000 }, 100);
    expect(line).toBe(`import [${'█'.repeat(12)}${'░'.repeat(18)}] 2,000/5,000  40%  1,000/s  ETA 3.0 s`);
  });

  it('given the work done, then the bar is full and there is no estimate', () => {
    const line = renderProgressBar({ label: 'x', done: 10, total: 10, elapsedMs: 5_000, note: 'done' }, 80);
    expect(line).toBe(`x [${'█'.repeat(30)}] 10/10  100%  2/s  done`);
  });

  it('given less than a second elapsed, then neither a rate nor an estimate is guessed', () => {
    expect(renderProgressLine({ label: 'x', done: 2, total: 5_000, elapsedMs: 10 })).toBe('x: 2/5,000  0%');
  });

  it('given a narrow terminal, then the bar shrinks, then disappears, and the line never wraps', () => {
    const state = { label: 'importing users', done: 1, total: 4, elapsedMs: 0 };
    const shrunk = renderProgressBar(state, 45);
    expect(shrunk).toMatch(/\[█{4}░{13}\] 1\/4 {2}25%$/);
    expect(shrunk.length).toBe(44);
    const narrow = renderProgressBar(state, 20);
    expect(narrow).not.toContain('[');
    expect(narrow.length).toBeLessThan(20);
  });

  it('given a total of zero or more done than the total, then the fraction stays within 0..100 %', () => {
    expect(renderProgressLine({ label: 'x', done: 0, total: 0, elapsedMs: 0 })).toBe('x: 0/0  100%');
    expect(renderProgressLine({ label: 'x', done: 7, total: 5, elapsedMs: 0 })).toBe('x: 7/5  100%');
  });
});

describe('ProgressReporter', () => {
  function sink(isTTY: boolean) {
    const writes: string[] = [];
    return { writes, sink: { write: (text: string) => writes.push(text), isTTY, columns: 60 } };
  }

  it('given a terminal, then the bar is redrawn in place at most every 100 ms and ends on a new line', () => {
    let now = 0;
    const { writes, sink: terminal } = sink(true);
    const progress = new ProgressReporter(terminal, 'job', 100, () => now);
    progress.update(10);
    now = 50;
    progress.update(20); // too soon: skipped
    now = 150;
    progress.update(30);
    progress.finish();
    expect(writes).toHaveLength(3);
    expect(writes.every((write) => write.startsWith('\r'))).toBe(true);
    expect(writes[1]).toContain('30/100');
    expect(writes[2]).toMatch(/\n$/);
  });

  it('given a log (not a terminal), then a plain line comes every 10 % or 5 s, and one at the end', () => {
    let now = 0;
    const { writes, sink: log } = sink(false);
    const progress = new ProgressReporter(log, 'job', 100, () => now);
    progress.update(0);
    progress.update(5); // 5 % and no time passed: nothing
    progress.update(12);
    now = 6_000;
    progress.update(13); // 5 s passed
    progress.update(100);
    progress.finish();
    expect(writes).toEqual([
      'job: 0/100  0%\n',
      'job: 12/100  12%\n',
      'job: 13/100  13%  2/s  ETA 40 s\n',
      'job: 100/100  100%  17/s\n',
    ]);
  });

  it('given --quiet (no sink), then nothing is written and nothing fails', () => {
    const progress = new ProgressReporter(undefined, 'job', 10, () => 0);
    progress.update(5);
    progress.finish();
    progress.interrupt();
  });
});
