import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MAX_BODY_BYTES, finalizeResponse, headerOf, problemResponse, requestIdOf } from '#api/http';
import { problem, type Problem } from '#api/problem';
import { HEALTH_PATH } from '#api/routes/health.routes';
import { isConsolePath } from '#api/console/console-paths';
import type { Principal } from '#api/router';
import { systemClock, type Clock } from '#commons/clock';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface ApiGatewayAdapterOptions {
  /** The same handler the API Lambda runs. */
  handler: ProxyHandler;
  /** The authorizer step: who the `x-api-key` header's value is, or undefined for a 401. */
  authorize: (apiKey: string | undefined) => Promise<Principal | undefined>;
  stage?: string;
  /** For `requestContext.requestTimeEpoch`; the simulated clock in the local runtime. */
  clock?: Clock;
  maxBodyBytes?: number;
}

/** API Gateway's integration timeout: the Lambda context counts down from it. */
const INTEGRATION_TIMEOUT_MS = 29_000;
/** After a 413, at most this much more is read (and dropped) so the client sees the answer. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;
/** Bodies of these types go to the handler as text; anything else base64-encoded, as API Gateway does. */
const TEXT_TYPES = /^(text\/|application\/([\w.+-]*\+)?(json|xml|x-www-form-urlencoded)\b)/i;

/**
 * What API Gateway (REST, Lambda proxy integration, our REQUEST authorizer and gateway
 * responses) does in front of the admin Lambda, for node:http: the local runtime and the
 * integration tests drive the very handler that runs in AWS through it.
 *
 * @example
 * const server = createServer(createApiGatewayAdapter({ handler, authorize }));
 */
export function createApiGatewayAdapter(
  options: ApiGatewayAdapterOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const stage = options.stage ?? 'local';
  const clock = options.clock ?? systemClock;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;

  return async (req, res) => {
    const headers = collectHeaders(req.rawHeaders);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const gatewayRequestId = randomUUID();
    const answerProblem = (details: Problem): void => {
      const requestId = requestIdOf(headers.single);
      writeResult(res, finalizeResponse(problemResponse(details), requestId));
    };

    try {
      // As deployed: GET /health, the console's page and assets, and CORS preflights skip the authorizer.
      const isPublic =
        (method === 'GET' && (url.pathname === HEALTH_PATH || isConsolePath(url.pathname))) ||
        method === 'OPTIONS';
      const principal = isPublic ? undefined : await options.authorize(headerOf(headers.single, 'x-api-key'));
      if (!isPublic && !principal) {
        answerProblem(problem('unauthorized', 'Send a valid API key in the x-api-key header.'));
        return;
      }
      const body = await readBody(req, maxBodyBytes);
      if (body === 'too-large') {
        res.setHeader('connection', 'close');
        answerProblem(problem('payload-too-large', `The body must not exceed ${maxBodyBytes} bytes.`));
        return;
      }
      const isText = TEXT_TYPES.test(headerOf(headers.single, 'content-type') ?? 'application/json');
      const event: APIGatewayProxyEvent = {
        resource: '/{proxy+}',
        path: url.pathname,
        httpMethod: method,
        headers: headers.single,
        multiValueHeaders: headers.multi,
        queryStringParameters: queryOf(url).single,
        multiValueQueryStringParameters: queryOf(url).multi,
        // The router parses the path itself, as behind a `{proxy+}` resource.
        pathParameters: null,
        stageVariables: null,
        body: body.byteLength === 0 ? null : body.toString(isText ? 'utf8' : 'base64'),
        isBase64Encoded: body.byteLength > 0 && !isText,
        requestContext: requestContext({
          method,
          path: url.pathname,
          stage,
          gatewayRequestId,
          clock,
          req,
          principal,
        }),
      };
      writeResult(res, await options.handler(event, lambdaContext(gatewayRequestId)));
    } catch (error) {
      // What API Gateway answers when the integration fails: a 502, never the error itself.
      console.error('local API gateway: the handler failed', error);
      if (!res.headersSent) answerProblem(problem('bad-gateway', 'The API handler failed.'));
      else res.destroy();
    }
  };
}

interface Headers {
  single: Record<string, string>;
  multi: Record<string, string[]>;
}

/** Headers with the client's casing, as API Gateway passes them (last value wins in `single`). */
function collectHeaders(rawHeaders: readonly string[]): Headers {
  const headers: Headers = { single: {}, multi: {} };
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    const value = rawHeaders[i + 1] ?? '';
    headers.single[name] = value;
    (headers.multi[name] ??= []).push(value);
  }
  return headers;
}

function queryOf(url: URL): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  if ([...url.searchParams.keys()].length === 0) return { single: null, multi: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  return { single, multi };
}

/**
 * Reads the body up to `limit` bytes. Past it, stops keeping data and drains a bounded amount
 * more, so the client (still sending) can read the 413 instead of seeing a reset.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let tooLarge = Number.isFinite(declared) && declared > limit;
    if (tooLarge) resolve('too-large');
    req.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      if (!tooLarge && received > limit) {
        tooLarge = true;
        chunks.length = 0;
        resolve('too-large');
      }
      if (tooLarge) {
        if (received > limit + DRAIN_LIMIT_BYTES) req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      resolve(tooLarge ? 'too-large' : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function requestContext(input: {
  method: string;
  path: string;
  stage: string;
  gatewayRequestId: string;
  clock: Clock;
  req: IncomingMessage;
  principal: Principal | undefined;
}): APIGatewayProxyEvent['requestContext'] {
  const now = input.clock.now();
  return {
    accountId: '000000000000',
    apiId: 'local',
    // What the deployed authorizer puts in its context (authorizer.handler.ts allowPolicy).
    authorizer: input.principal
      ? { principalId: input.principal.keyId, keyId: input.principal.keyId, role: input.principal.role }
      : null,
    domainName: input.req.headers.host ?? 'localhost',
    domainPrefix: 'local',
    httpMethod: input.method,
    path: `/${input.stage}${input.path}`,
    protocol: `HTTP/${input.req.httpVersion}`,
    requestId: input.gatewayRequestId,
    requestTimeEpoch: now,
    resourceId: 'local',
    resourcePath: '/{proxy+}',
    stage: input.stage,
    identity: {
      accessKey: null,
      accountId: null,
      apiKey: null,
      apiKeyId: null,
      caller: null,
      clientCert: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: input.req.socket.remoteAddress ?? '127.0.0.1',
      user: null,
      userAgent: input.req.headers['user-agent'] ?? null,
      userArn: null,
    },
  };
}

/** Enough of a Lambda context for Powertools and middy (which times out early on it). */
function lambdaContext(awsRequestId: string): Context {
  const deadline = performance.now() + INTEGRATION_TIMEOUT_MS;
  const functionName = 'occasions-api-local';
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, Math.round(deadline - performance.now())),
    /* eslint-disable @typescript-eslint/no-deprecated -- the type still requires the legacy callbacks */
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    /* eslint-enable @typescript-eslint/no-deprecated */
  };
}

function writeResult(res: ServerResponse, result: APIGatewayProxyResult): void {
  res.statusCode = result.statusCode;
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, String(value));
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    res.setHeader(name, values.map(String));
  }
  res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}
