/**
 * Exit codes of `occasions` (documented in docs/cli.md): scripts switch on them, so they only
 * ever gain members.
 */
export const ExitCode = {
  ok: 0,
  /** The command ran, but part of its work failed (rows, messages, a replay job). */
  partialFailure: 1,
  /** Bad command line: unknown command or option, missing or malformed value, unusable file. */
  usage: 2,
  /** No API key, or the API answered 401/403. */
  auth: 3,
  /** Any other error answer of the API (404, 409, 422, 5xx after retries, …). */
  api: 4,
  /** The API could not be reached (connection refused, DNS, TLS, timeout). */
  unreachable: 5,
  /** A bug in the CLI itself (EX_SOFTWARE). */
  internal: 70,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** RFC 9457 problem details, as the API answers every error. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/** An error the CLI explains to its user and turns into an exit code; never a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** What `--json` prints on stdout as `{"error": …}`, beyond the message. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends CliError {
  constructor(
    message: string,
    /** The help to point at (`occasions dlq --help`). */
    readonly helpHint?: string,
  ) {
    super(message, ExitCode.usage);
  }
}

/** The API answered with an error status (after any retries). */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    readonly request: { method: string; url: string; requestId: string | undefined },
    message: string,
    /** 401 and 403 are about the key, except API Gateway's 403 for a path it does not know. */
    exitCode: ExitCode = status === 401 || status === 403 ? ExitCode.auth : ExitCode.api,
  ) {
    super(message, exitCode, {
      status,
      ...(problem ? { problem } : {}),
      request: { method: request.method, url: request.url, requestId: request.requestId ?? null },
    });
  }
}

/** Nothing answered at the URL (or not in time). */
export class UnreachableError extends CliError {
  constructor(url: string, reason: string) {
    super(`cannot reach the API at ${url}: ${reason}`, ExitCode.unreachable, { url, reason });
  }
}
