/**
 * The small error taxonomy of use cases. Adapters translate storage conditions into these, the
 * API maps them to problem+json statuses, and nothing else leaks to callers.
 */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${id} not found`);
  }
}

/** A conditional write lost against a concurrent change (version or state moved on). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** An id that is already taken. */
export class AlreadyExistsError extends Error {
  override readonly name = 'AlreadyExistsError';
}

/**
 * The caller asked for a precondition on the version (HTTP `If-Match`) and the stored resource
 * is at another version: answered 412, nothing written.
 */
export class VersionMismatchError extends Error {
  override readonly name = 'VersionMismatchError';
  constructor(
    readonly resource: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${resource} is at version ${actual}, not ${expected}`);
  }
}
