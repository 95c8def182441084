import { describe, expect, it } from 'vitest';
import { InFlight } from '#commons/in-flight';

/** A promise the test settles itself. */
function deferred(): { promise: Promise<string>; resolve(value: string): void; reject(error: Error): void } {
  let resolve!: (value: string) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run (one turn of the event loop). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('work in flight', () => {
  it('given nothing tracked, when settled is awaited, then it resolves', async () => {
    await expect(new InFlight().settled()).resolves.toBeUndefined();
  });

  it('given tracked work, then settled waits for it and the work is forgotten once done', async () => {
    const inFlight = new InFlight();
    const work = deferred();
    expect(inFlight.track(work.promise)).toBe(work.promise);
    let settled = false;
    void inFlight.settled().then(() => {
      settled = true;
    });
    await nextTurn();
    expect(settled).toBe(false);
    expect(inFlight.size).toBe(1);
    work.resolve('done');
    await nextTurn();
    expect(settled).toBe(true);
    expect(inFlight.size).toBe(0);
  });

  it('given work tracked while settling, then settled waits for that too', async () => {
    const inFlight = new InFlight();
    const first = deferred();
    const second = deferred();
    void inFlight.track(first.promise);
    let settled = false;
    void inFlight.settled().then(() => {
      settled = true;
    });
    void inFlight.track(second.promise);
    first.resolve('first');
    await nextTurn();
    expect(settled).toBe(false);
    second.resolve('second');
    await nextTurn();
    expect(settled).toBe(true);
  });

  it('given work that fails, then its caller still sees the failure and settled resolves', async () => {
    const inFlight = new InFlight();
    const work = deferred();
    const tracked = inFlight.track(work.promise);
    work.reject(new Error('broken'));
    await expect(tracked).rejects.toThrow('broken');
    await expect(inFlight.settled()).resolves.toBeUndefined();
    expect(inFlight.size).toBe(0);
  });
});
