/**
 * Why the event model refused a request, in terms the API turns into problem+json: `invalid`
 * (400: a field breaks a rule), `unprocessable` (422: well-formed, but not allowed, such as
 * deleting a built-in type), `conflict` (409: the state forbids it, such as deleting a type in use).
 * Nothing is written when one is thrown.
 */
export class EventModelError extends Error {
  override readonly name = 'EventModelError';
  constructor(
    readonly kind: 'invalid' | 'unprocessable' | 'conflict',
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export const invalidField = (path: string, message: string): EventModelError =>
  new EventModelError('invalid', `Invalid body: check ${path}.`, [{ path, message }]);
