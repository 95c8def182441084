import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { listIndexAll } from '#adapters/dynamodb/list-index';
import { keys, LIST_INDEX } from '#adapters/dynamodb/table-layout';
import type { CircuitControlStore } from '#ports/circuit-control';

/** Circuit items sit in the list index under this partition (sort: the endpoint key). */
export const CIRCUIT_LIST_PARTITION = 'CIRCUIT';

/** The shared state of one endpoint's circuit, as every worker container sees it. */
export interface CircuitRecord {
  endpointKey: string;
  /** Half-open is not stored: it is "open, past retryAt, and someone holds the probe lease". */
  state: 'closed' | 'open';
  /** Times the circuit opened since it was last closed: the first trip plus every failed probe. */
  failures: number;
  /** Epoch ms the current outage began (first open since the last close). */
  openedAt?: number;
  /** Epoch ms from which one container may probe the endpoint again. */
  retryAt?: number;
  /** Epoch ms until which the current probe holds its lease. */
  probeLeaseUntil?: number;
  /** Bumped by every write; 0 for an endpoint whose circuit was never written. */
  version: number;
  /** Set while an admin's force-open holds it open (the breaker's own opens clear it). */
  forced?: boolean;
  /** Epoch ms of the last write. */
  updatedAt?: number;
}

/**
 * Storage of the shared circuit state. Every method is one conditional single-item write, so two
 * containers racing on the same endpoint cannot both win a transition. All times are epoch ms of
 * the injected Clock.
 */
export interface CircuitStateStore {
  /** The current record; a closed record with version 0 when none was written yet. */
  get(endpointKey: string): Promise<CircuitRecord>;
  /**
   * Opens the circuit until `retryAt` and releases any probe lease. With `expectedVersion` it is a
   * compare-and-set (0 = no record yet) and returns false when the record moved on; without it,
   * it always writes (the probe holder re-opening after a failed probe).
   */
  open(endpointKey: string, at: number, retryAt: number, expectedVersion?: number): Promise<boolean>;
  /** Closes an open circuit; false when it was not open (someone else closed it first). */
  close(endpointKey: string, at: number): Promise<boolean>;
  /**
   * Takes the half-open probe lease: succeeds only while the circuit is open, `retryAt <= now`
   * and no unexpired lease exists, so exactly one container wins each probe.
   */
  tryAcquireProbe(endpointKey: string, now: number, leaseMs: number): Promise<boolean>;
}

interface StoredCircuit {
  state?: unknown;
  failures?: unknown;
  openedAt?: unknown;
  retryAt?: unknown;
  probeLeaseUntil?: unknown;
  version?: unknown;
  forced?: unknown;
  updatedAt?: unknown;
}

const NAMES = {
  '#state': 'state',
  '#failures': 'failures',
  '#openedAt': 'openedAt',
  '#retryAt': 'retryAt',
  '#lease': 'probeLeaseUntil',
  '#version': 'version',
  '#updatedAt': 'updatedAt',
  '#endpointKey': 'endpointKey',
  '#listPk': LIST_INDEX.partition,
  '#listSk': LIST_INDEX.sort,
  '#forced': 'forced',
} as const;

/** Every write puts the item in the list index, so circuits can be listed without a Scan. */
const LISTED = '#listPk = :circuits, #listSk = :key';

const numberOr = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/**
 * The circuit item `CIRCUIT#<endpointKey>` / `STATE` of the single table.
 *
 * @example
 * const store = new DynamoCircuitStateStore({ client: doc, tableName: 'occasions' });
 * if (await store.tryAcquireProbe('example.com', clock.now(), 30_000)) { ... }
 */
export class DynamoCircuitStateStore implements CircuitStateStore, CircuitControlStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(deps: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = deps.client;
    this.tableName = deps.tableName;
  }

  async get(endpointKey: string): Promise<CircuitRecord> {
    const { Item } = await this.client.send(
      // Strongly consistent: a probe winner's close must be visible to the next reader.
      new GetCommand({ TableName: this.tableName, Key: keys.circuit(endpointKey), ConsistentRead: true }),
    );
    return recordOf(endpointKey, (Item ?? {}) as StoredCircuit);
  }

  async list(max: number): Promise<CircuitRecord[]> {
    const items = await listIndexAll({
      client: this.client,
      tableName: this.tableName,
      partition: CIRCUIT_LIST_PARTITION,
      max,
      fromItem: (item) => item,
    });
    return items.flatMap((item) =>
      typeof item.endpointKey === 'string' ? [recordOf(item.endpointKey, item)] : [],
    );
  }

  forceOpen(endpointKey: string, at: number, retryAt: number, expectedVersion: number): Promise<boolean> {
    return this.update(endpointKey, {
      UpdateExpression:
        `SET #state = :open, #retryAt = :retryAt, #updatedAt = :at, #endpointKey = :key, ${LISTED}, ` +
        '#forced = :true, #openedAt = if_not_exists(#openedAt, :at) REMOVE #lease ADD #version :one',
      ...versionCondition(expectedVersion),
      ExpressionAttributeValues: {
        ':open': 'open',
        ':retryAt': retryAt,
        ':at': at,
        ':key': endpointKey,
        ':circuits': CIRCUIT_LIST_PARTITION,
        ':true': 1,
        ':one': 1,
        ...(expectedVersion ? { ':expected': expectedVersion } : {}),
      },
    });
  }

  reset(endpointKey: string, at: number, expectedVersion: number): Promise<boolean> {
    return this.update(endpointKey, {
      UpdateExpression:
        `SET #state = :closed, #failures = :zero, #updatedAt = :at, #endpointKey = :key, ${LISTED} ` +
        'REMOVE #openedAt, #retryAt, #lease, #forced ADD #version :one',
      ...versionCondition(expectedVersion),
      ExpressionAttributeValues: {
        ':closed': 'closed',
        ':zero': 0,
        ':at': at,
        ':key': endpointKey,
        ':circuits': CIRCUIT_LIST_PARTITION,
        ':one': 1,
        ...(expectedVersion ? { ':expected': expectedVersion } : {}),
      },
    });
  }

  open(endpointKey: string, at: number, retryAt: number, expectedVersion?: number): Promise<boolean> {
    return this.update(endpointKey, {
      // openedAt keeps the start of the outage across failed probes.
      UpdateExpression:
        `SET #state = :open, #retryAt = :retryAt, #updatedAt = :at, #endpointKey = :key, ${LISTED}, ` +
        '#openedAt = if_not_exists(#openedAt, :at) REMOVE #lease, #forced ADD #version :one, #failures :one',
      ...versionCondition(expectedVersion),
      ExpressionAttributeValues: {
        ':open': 'open',
        ':retryAt': retryAt,
        ':at': at,
        ':key': endpointKey,
        ':circuits': CIRCUIT_LIST_PARTITION,
        ':one': 1,
        ...(expectedVersion ? { ':expected': expectedVersion } : {}),
      },
    });
  }

  close(endpointKey: string, at: number): Promise<boolean> {
    return this.update(endpointKey, {
      UpdateExpression:
        `SET #state = :closed, #failures = :zero, #updatedAt = :at, #endpointKey = :key, ${LISTED} ` +
        'REMOVE #openedAt, #retryAt, #lease, #forced ADD #version :one',
      ConditionExpression: '#state = :open',
      ExpressionAttributeValues: {
        ':closed': 'closed',
        ':open': 'open',
        ':zero': 0,
        ':at': at,
        ':key': endpointKey,
        ':circuits': CIRCUIT_LIST_PARTITION,
        ':one': 1,
      },
    });
  }

  tryAcquireProbe(endpointKey: string, now: number, leaseMs: number): Promise<boolean> {
    return this.update(endpointKey, {
      UpdateExpression: 'SET #lease = :until, #updatedAt = :now ADD #version :one',
      ConditionExpression:
        '#state = :open AND #retryAt <= :now AND (attribute_not_exists(#lease) OR #lease <= :now)',
      ExpressionAttributeValues: { ':open': 'open', ':now': now, ':until': now + leaseMs, ':one': 1 },
    });
  }

  /** One conditional update; false when its condition did not hold, any other error propagates. */
  private async update(
    endpointKey: string,
    input: {
      UpdateExpression: string;
      ConditionExpression?: string;
      ExpressionAttributeValues: Record<string, string | number>;
    },
  ): Promise<boolean> {
    const names = usedNames(`${input.UpdateExpression} ${input.ConditionExpression ?? ''}`);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.circuit(endpointKey),
          ExpressionAttributeNames: names,
          ...input,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function recordOf(endpointKey: string, item: StoredCircuit): CircuitRecord {
  const openedAt = numberOr(item.openedAt);
  const retryAt = numberOr(item.retryAt);
  const probeLeaseUntil = numberOr(item.probeLeaseUntil);
  const updatedAt = numberOr(item.updatedAt);
  return {
    endpointKey,
    state: item.state === 'open' ? 'open' : 'closed',
    failures: numberOr(item.failures) ?? 0,
    version: numberOr(item.version) ?? 0,
    ...(openedAt === undefined ? {} : { openedAt }),
    ...(retryAt === undefined ? {} : { retryAt }),
    ...(probeLeaseUntil === undefined ? {} : { probeLeaseUntil }),
    ...(item.forced === 1 || item.forced === true ? { forced: true } : {}),
    ...(updatedAt === undefined ? {} : { updatedAt }),
  };
}

/** No condition, "never written" (version 0), or an exact version. */
function versionCondition(expectedVersion: number | undefined): { ConditionExpression?: string } {
  if (expectedVersion === undefined) return {};
  if (expectedVersion === 0) return { ConditionExpression: 'attribute_not_exists(pk)' };
  return { ConditionExpression: '#version = :expected' };
}

/** DynamoDB rejects unused ExpressionAttributeNames, so pass only those an expression uses. */
function usedNames(expression: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(NAMES).filter(([alias]) => new RegExp(`${alias}\\b`).test(expression)),
  );
}
