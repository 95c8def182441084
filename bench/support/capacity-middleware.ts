import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** What a metered client consumed since the last reset. */
export interface CapacityTally {
  /** Requests by command name (`QueryCommand`, `PutCommand`, ...). */
  requests: Record<string, number>;
  /** Capacity units DynamoDB reported, by command name. */
  units: Record<string, number>;
  /** Requests whose answer carried no ConsumedCapacity (the backend does not report it). */
  unreported: number;
  reset(): void;
}

interface ConsumedCapacityLike {
  CapacityUnits?: number;
}

/**
 * Asks for `ReturnConsumedCapacity: 'TOTAL'` on every request of this client (and so of every
 * DocumentClient built on it: they share its middleware stack) and adds up what comes back.
 * The code under test is unchanged: the field is set on the wire request only.
 */
export function meterCapacity(client: DynamoDBClient): CapacityTally {
  const tally: CapacityTally = {
    requests: {},
    units: {},
    unreported: 0,
    reset() {
      this.requests = {};
      this.units = {};
      this.unreported = 0;
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity ??= 'TOTAL';
      const name = context.commandName ?? 'unknown';
      tally.requests[name] = (tally.requests[name] ?? 0) + 1;
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacityLike | ConsumedCapacityLike[] })
        .ConsumedCapacity;
      const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
      if (list.length === 0) tally.unreported += 1;
      const reported = list.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
      // DynamoDB rounds every Query and Scan up to one 4 KB unit, even an empty one; dynalite says 0.
      const floor =
        name === 'QueryCommand' || name === 'ScanCommand' ? (input.ConsistentRead === true ? 1 : 0.5) : 0;
      const units = Math.max(reported, floor);
      tally.units[name] = (tally.units[name] ?? 0) + units;
      return result;
    },
    { step: 'initialize', name: 'benchCapacityMeter' },
  );
  return tally;
}

export const READ_COMMANDS = new Set([
  'QueryCommand',
  'ScanCommand',
  'GetItemCommand',
  'GetCommand',
  'BatchGetItemCommand',
  'BatchGetCommand',
]);

/** Read units in a tally (Query, Scan, GetItem, BatchGetItem). */
export const readUnitsOf = (tally: CapacityTally): number =>
  Object.entries(tally.units)
    .filter(([name]) => READ_COMMANDS.has(name))
    .reduce((sum, [, units]) => sum + units, 0);
