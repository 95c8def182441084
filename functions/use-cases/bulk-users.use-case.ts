import { AlreadyExistsError, ConflictError, NotFoundError } from '#commons/errors';
import type { UserProfile } from '#domain/user';
import { mapLimited } from './concurrency';
import { InvalidProfileError, type ManageUsers, type ProfileIssue } from './manage-users.use-case';

/** One operation of a bulk import, already well-formed (the API validated its shape). */
export type BulkOperation =
  | { op: 'create'; id?: string; user: UserProfile }
  | { op: 'upsert'; id: string; user: UserProfile }
  | { op: 'delete'; id: string };

/** What became of one operation, as the single route would have answered it. */
export interface BulkOutcome {
  status: 200 | 201 | 204 | 400 | 404 | 409 | 500;
  id?: string;
  /** Field problems of a 400, paths within the operation (`user.birthday`). */
  errors?: ProfileIssue[];
}

/** Operations in flight at once: enough to hide latency, few enough not to throttle the table. */
export const BULK_CONCURRENCY = 8;

/** The user use cases one bulk request runs its operations with. */
export interface BulkUserCommands {
  manageUsers: ManageUsers;
  /** The same use case, but assigning `id` to the user it creates (create with id, upsert). */
  manageUsersWithId: (id: string) => ManageUsers;
}

/**
 * Bulk user import on top of {@link ManageUsers}: each operation is exactly what the single
 * route does (same rules, same scheduling), and answers on its own, so a bad operation never
 * spoils the others. Operations on one id run in their order; the rest run side by side.
 */
export class BulkUsers {
  constructor(
    private readonly deps: {
      /**
       * The use cases for one request: fresh per request, so they may share what the request
       * reads once (the event types, EventTypeCatalog.snapshot) without keeping it longer.
       */
      forRequest: () => BulkUserCommands;
      /** Errors that are not the caller's (the operation answers 500). */
      onUnexpectedError?: (error: unknown) => void;
    },
  ) {}

  /** One outcome per operation, in order. */
  async apply(operations: readonly BulkOperation[], requestId: string): Promise<BulkOutcome[]> {
    const outcomes = new Array<BulkOutcome>(operations.length);
    // One chain per id keeps "create X, then delete X" in that order; no id, no chain.
    const chains = new Map<string, number[]>();
    operations.forEach((operation, index) => {
      const key = operation.id ?? `#${index}`;
      chains.set(key, [...(chains.get(key) ?? []), index]);
    });
    const users = this.deps.forRequest();
    await mapLimited([...chains.values()], BULK_CONCURRENCY, async (indexes) => {
      for (const index of indexes) {
        const operation = operations[index];
        if (operation) outcomes[index] = await this.applyOne(users, operation, requestId);
      }
    });
    return outcomes;
  }

  private async applyOne(
    users: BulkUserCommands,
    operation: BulkOperation,
    requestId: string,
  ): Promise<BulkOutcome> {
    try {
      switch (operation.op) {
        case 'create': {
          const creator =
            operation.id === undefined ? users.manageUsers : users.manageUsersWithId(operation.id);
          const user = await creator.create(operation.user, requestId);
          return { status: 201, id: user.id };
        }
        case 'upsert':
          return await this.upsert(users, operation.id, operation.user, requestId);
        case 'delete':
          await users.manageUsers.delete(operation.id);
          return { status: 204, id: operation.id };
      }
    } catch (error) {
      return this.outcomeOf(error, operation.id);
    }
  }

  /** Replace when it exists, else create with that id; a concurrent create makes it a replace. */
  private async upsert(
    users: BulkUserCommands,
    id: string,
    user: UserProfile,
    requestId: string,
  ): Promise<BulkOutcome> {
    try {
      await users.manageUsers.replace(id, user, requestId);
      return { status: 200, id };
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    try {
      await users.manageUsersWithId(id).create(user, requestId);
      return { status: 201, id };
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
      await users.manageUsers.replace(id, user, requestId);
      return { status: 200, id };
    }
  }

  private outcomeOf(error: unknown, id: string | undefined): BulkOutcome {
    const withId = id === undefined ? {} : { id };
    if (error instanceof InvalidProfileError) {
      return {
        status: 400,
        ...withId,
        errors: error.issues.map((issue) => ({ ...issue, path: `user.${issue.path}` })),
      };
    }
    if (error instanceof NotFoundError) return { status: 404, ...withId };
    if (error instanceof AlreadyExistsError || error instanceof ConflictError)
      return { status: 409, ...withId };
    this.deps.onUnexpectedError?.(error);
    return { status: 500, ...withId };
  }
}
