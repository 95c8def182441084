import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Clock } from '#commons/clock';
import type { IdempotencyStore, StoredResponse } from '#ports/idempotency-store';
import { headerOf, problemResponse, type HttpResponse } from './http';
import { ProblemError, problem } from './problem';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
/** A repeat within this window gets the first answer (Stripe and the IETF draft use 24 h). */
export const IDEMPOTENCY_RETAIN_MS = 24 * 3_600_000;
/** A claim whose request died is free again after this (longer than API Gateway's 29 s). */
const LEASE_MS = 60_000;
const KEY_SYNTAX = /^[\x21-\x7E]{1,255}$/;

/**
 * Runs a POST at most once per `Idempotency-Key` and API key within 24 h. The first answer
 * (2xx or 4xx) is stored and replayed to every repeat with the same method, path and body; the
 * same key with another request is a 422; while the first is still running, a repeat gets a 409.
 * A 5xx is not kept, so the client's retry runs again.
 */
export async function runIdempotently(input: {
  store: IdempotencyStore;
  clock: Clock;
  event: Pick<APIGatewayProxyEvent, 'httpMethod' | 'path' | 'body' | 'headers'>;
  keyId: string;
  run: () => Promise<HttpResponse>;
}): Promise<HttpResponse> {
  const presented = headerOf(input.event.headers, IDEMPOTENCY_HEADER);
  if (presented === undefined) return input.run();
  if (!KEY_SYNTAX.test(presented)) {
    throw new ProblemError(
      problem('validation-error', 'Invalid header: check Idempotency-Key.', [
        { path: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 255 visible ASCII characters' },
      ]),
    );
  }
  const scope = `${input.keyId}#${sha256(presented)}`;
  const fingerprint = sha256(`${input.event.httpMethod} ${input.event.path}\n${input.event.body ?? ''}`);
  const now = input.clock.now();
  const start = await input.store.begin(scope, fingerprint, now, LEASE_MS, IDEMPOTENCY_RETAIN_MS);
  switch (start.kind) {
    case 'replay':
      return { ...start.response, headers: { ...start.response.headers, [REPLAYED_HEADER]: 'true' } };
    case 'in-progress':
      return problemResponse(
        problem('conflict', 'A request with this Idempotency-Key is still being processed; retry shortly.'),
        { 'retry-after': '1' },
      );
    case 'mismatch':
      return problemResponse(
        problem('unprocessable', 'This Idempotency-Key was used for a different request; use a new key.'),
      );
    case 'started':
      break;
  }
  let response: HttpResponse;
  try {
    response = await input.run();
  } catch (error) {
    // Problems (4xx) are answers like any other and are kept; anything else is our failure.
    if (!(error instanceof ProblemError) || error.problem.status >= 500) {
      await input.store.abandon(scope);
      throw error;
    }
    response = problemResponse(error.problem, error.headers);
  }
  if (response.statusCode >= 500) {
    await input.store.abandon(scope);
    return response;
  }
  await input.store.complete(scope, fingerprint, storedAnswerOf(response), now + IDEMPOTENCY_RETAIN_MS);
  return response;
}

/**
 * What a repeat gets. An answer with a one-time secret is not kept: the repeat learns that the
 * request was carried out (and where its result is) without the secret, which is stored only as
 * a hash or, for webhook secrets, only on the resource itself.
 */
function storedAnswerOf(response: HttpResponse): StoredResponse {
  const { audit: _audit, oneTimeSecret, ...answer } = response;
  if (!oneTimeSecret) return answer;
  const location = answer.headers.location;
  return problemResponse(
    problem(
      'conflict',
      'This request was already carried out; the secret it created was shown only in the first answer.',
    ),
    location === undefined ? {} : { location },
  );
}

const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');
