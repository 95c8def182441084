import { randomBytes } from 'node:crypto';
import type { Clock } from '#commons/clock';

const RANDOM_BITS = 74n; // rand_a (12) + rand_b (62) of RFC 9562 UUIDv7
const RANDOM_MASK = (1n << RANDOM_BITS) - 1n;
/** Fresh random values start with the top bit clear, so a burst in one ms can count up without overflow. */
const SEED_MASK = (1n << (RANDOM_BITS - 1n)) - 1n;

/** `xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx`, lower-case, the only shape `createIdGenerator` emits. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A UUIDv7 generator on the given clock (RFC 9562, method 2: a monotonic random counter).
 *
 * Ids sort lexicographically in creation order, which is what lets the list index return users
 * in the order they were created. Within one millisecond (a simulated clock that stands still,
 * a burst of requests) the 74 random bits are incremented instead of redrawn, and a clock that
 * goes backwards is ignored, so ids from one generator are strictly increasing.
 *
 * @example
 * const newId = createIdGenerator(new ManualClock(0));
 * newId() < newId(); // true
 */
export function createIdGenerator(
  clock: Clock,
  random: (bytes: number) => Uint8Array = randomBytes,
): () => string {
  let lastMs = -1;
  let counter = 0n;
  const seed = (): bigint => BigInt(`0x${Buffer.from(random(10)).toString('hex')}`) & SEED_MASK;

  return () => {
    const now = Math.max(0, Math.floor(clock.now()));
    if (now > lastMs) {
      lastMs = now;
      counter = seed();
    } else {
      counter += 1n;
      if (counter > RANDOM_MASK) {
        // 2^73 ids in one ms cannot happen; borrowing the next ms keeps the order if it did.
        lastMs += 1;
        counter = seed();
      }
    }
    return format(lastMs, counter);
  };
}

function format(ms: number, random: bigint): string {
  const randA = Number(random >> 62n); // 12 bits
  const randB = random & ((1n << 62n) - 1n);
  const hex =
    ms.toString(16).padStart(12, '0').slice(-12) +
    (0x7000 | randA).toString(16).padStart(4, '0') +
    ((2n << 62n) | randB).toString(16).padStart(16, '0'); // variant 0b10
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
