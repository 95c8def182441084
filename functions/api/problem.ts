import { z } from 'zod';

/**
 * RFC 9457 problem details: every error answer of the API. `type` is a stable URI per kind of
 * problem (clients switch on it), `detail` a human sentence about this occurrence, `errors` the
 * field-level reasons of a validation problem.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://occasions.dev/problems/';

export const FieldErrorSchema = z
  .object({
    path: z.string().meta({ description: 'The offending field (`birthday`) or query parameter (`limit`).' }),
    message: z.string(),
  })
  .strict()
  .meta({ description: 'One reason a request was rejected.' });

export const ProblemSchema = z
  .object({
    type: z.url().meta({ description: 'Identifies the kind of problem; stable, safe to switch on.' }),
    title: z.string().meta({ description: 'Short summary of the kind of problem.' }),
    status: z.int().meta({ description: 'The HTTP status code.' }),
    detail: z.string().meta({ description: 'What went wrong with this request.' }),
    errors: z.array(FieldErrorSchema).optional(),
  })
  .strict()
  .meta({ description: 'RFC 9457 problem details (application/problem+json).' });

export type FieldError = z.infer<typeof FieldErrorSchema>;
export type Problem = z.infer<typeof ProblemSchema>;

/** The kinds of problem the API answers with, by the slug of their type URI. */
export const PROBLEM_KINDS = {
  'validation-error': { status: 400, title: 'The request is invalid' },
  'malformed-json': { status: 400, title: 'The body is not valid JSON' },
  unauthorized: { status: 401, title: 'Missing or invalid credentials' },
  forbidden: { status: 403, title: 'Not allowed for this API key' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflicting concurrent change' },
  'precondition-failed': { status: 412, title: 'The resource has changed' },
  'payload-too-large': { status: 413, title: 'The body is too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported content type' },
  unprocessable: { status: 422, title: 'The request cannot be carried out' },
  'too-many-requests': { status: 429, title: 'Too many requests' },
  'internal-error': { status: 500, title: 'Internal error' },
  'bad-gateway': { status: 502, title: 'Bad gateway' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

export function problem(kind: ProblemKind, detail: string, errors?: readonly FieldError[]): Problem {
  const { status, title } = PROBLEM_KINDS[kind];
  return { type: `${TYPE_BASE}${kind}`, title, status, detail, ...(errors ? { errors: [...errors] } : {}) };
}

/**
 * Thrown by request parsing and routes to answer with a problem; anything else thrown is an
 * unexpected error and becomes a 500 without its internals.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly problem: Problem,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(problem.detail);
  }
}

/** A validation problem from zod issues; `where` names the part of the request (`body`, `query`). */
export function validationProblem(
  issues: readonly z.core.$ZodIssue[],
  where: 'body' | 'query',
): ProblemError {
  const errors = issues.flatMap((issue): FieldError[] => {
    // Unknown fields come as one issue on the parent; name each one so clients see which.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: joinPath([...issue.path, key]),
        message: `unknown field "${key}"`,
      }));
    }
    return [{ path: joinPath(issue.path) || where, message: issue.message }];
  });
  const fields = [...new Set(errors.map((error) => error.path))].join(', ');
  return new ProblemError(problem('validation-error', `Invalid ${where}: check ${fields}.`, errors));
}

const joinPath = (path: readonly PropertyKey[]): string => path.map(String).join('.');
