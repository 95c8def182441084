import { ConflictError, NotFoundError } from '#commons/errors';
import type { StoredUser, UserSchedule } from '#domain/user';
import type { UserPage, UserRepository } from '#ports/user-repository';

/** Just enough of a UserRepository for unit tests, with a hook to lose write races on purpose. */
export class InMemoryUsers implements UserRepository {
  readonly users = new Map<string, StoredUser>();
  conflictsToInject = 0;
  replaceCalls = 0;

  create(user: StoredUser): Promise<void> {
    this.users.set(user.id, structuredClone(user));
    return Promise.resolve();
  }
  get(id: string): Promise<StoredUser | undefined> {
    const user = this.users.get(id);
    return Promise.resolve(user && structuredClone(user));
  }
  replace(user: StoredUser, expectedVersion: number): Promise<void> {
    this.replaceCalls += 1;
    const current = this.users.get(user.id);
    if (!current) return Promise.reject(new NotFoundError('user', user.id));
    if (this.conflictsToInject > 0) {
      this.conflictsToInject -= 1;
      // A concurrent writer gets in first: the stored version moves on.
      this.users.set(user.id, { ...current, version: current.version + 1 });
      return Promise.reject(new ConflictError('moved on'));
    }
    if (current.version !== expectedVersion) return Promise.reject(new ConflictError('moved on'));
    this.users.set(user.id, structuredClone(user));
    return Promise.resolve();
  }
  delete(id: string): Promise<boolean> {
    return Promise.resolve(this.users.delete(id));
  }
  list(): Promise<UserPage> {
    return Promise.resolve({ items: [...this.users.values()], nextCursor: null });
  }
  advanceSchedule(_userId: string, _expectedVersion: number, _to: UserSchedule | null): Promise<boolean> {
    return Promise.resolve(false);
  }
  rewindSchedule(_userId: string, _to: UserSchedule): Promise<boolean> {
    return Promise.resolve(false);
  }
}
