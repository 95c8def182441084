import { existsSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LogLevel } from '../config';
import { acknowledge } from '../nag';
import { HANDLERS_DIR, nodejsBundling, PROJECT_ROOT } from './bundling';

/** The newest Node.js Lambda runtime in aws-cdk-lib 2.276 (cdk-nag AwsSolutions-L1 wants the newest). */
export const NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Namespace of the business metrics the functions emit with Powertools Metrics (EMF). */
export const METRICS_NAMESPACE = 'Occasions';

/** Actions on a queue the function reads and settles itself (the admin API on the DLQ). */
const QUEUE_MANAGE_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueAttributes',
];

/** Data-plane DynamoDB actions. No Scan (DESIGN: never Scan in a hot path), no control plane. */
const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/** Environment variables this construct owns because it sets them together with a grant. */
const OWNED_ENV = [
  'TABLE_NAME',
  'QUEUE_URL',
  'DLQ_URL',
  'EVENT_BUS_NAME',
  'LOG_LEVEL',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'NODE_OPTIONS',
];

export interface TableAccess {
  readonly table: dynamodb.ITable;
  /** `get`: single items by key only (GetItem); `read`: plus Query; `readWrite`: plus writes. */
  readonly access: 'get' | 'read' | 'readWrite';
  /** Global secondary indexes the function queries (read access is granted on exactly these). */
  readonly indexNames: readonly string[];
}

export interface ServiceFunctionProps {
  /** Handler file under `functions/handlers/`, e.g. `worker.handler.ts`; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** POWERTOOLS_SERVICE_NAME: the `service` key of logs and the `service` dimension of metrics. */
  readonly serviceName: string;
  readonly logLevel: LogLevel;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Grants the table access and sets TABLE_NAME. */
  readonly table?: TableAccess;
  /** Grants SendMessage and sets QUEUE_URL. */
  readonly sendToQueue?: sqs.IQueue;
  /** Grants SendMessage and sets DLQ_URL. */
  readonly sendToDeadLetterQueue?: sqs.IQueue;
  /**
   * Grants ReceiveMessage, DeleteMessage, ChangeMessageVisibility and GetQueueAttributes on the
   * dead-letter queue (list, delete and redrive parked notifications) and sets DLQ_URL.
   */
  readonly manageDeadLetterQueue?: sqs.IQueue;
  /**
   * Functions this one invokes, keyed by the environment variable that receives the function's
   * name (must end in `_FUNCTION_NAME`). Grants lambda:InvokeFunction on exactly that function.
   */
  readonly invokes?: Readonly<Record<string, lambda.IFunction>>;
  /** Grants events:PutEvents and sets EVENT_BUS_NAME. */
  readonly putEventsTo?: events.IEventBus;
  /** Grants cloudwatch:GetMetricData (the console's dashboard series, GET /v1/metrics). */
  readonly readsMetrics?: boolean;
  /**
   * Secrets the function reads, keyed by the environment variable that receives the secret's ARN
   * (must end in `_SECRET_ARN`). Grants GetSecretValue; the value itself never enters the template.
   */
  readonly secrets?: Readonly<Record<string, secretsmanager.ISecret>>;
  /** Plain configuration (no secrets); names owned by the grants above are rejected. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Retries of asynchronous invocations (EventBridge). @default Lambda's default (2) */
  readonly retryAttempts?: number;
  /** Age after which an asynchronous event is dropped. @default Lambda's default (6 h) */
  readonly maxEventAge?: Duration;
  /** @default lambda.RecursiveLoop.TERMINATE */
  readonly recursiveLoop?: lambda.RecursiveLoop;
}

/**
 * One Lambda function of Occasions, with the choices every function shares fixed in one place:
 * Node.js 24 on arm64, an ESM bundle built by the local esbuild (minified, source maps, AWS SDK
 * bundled at the versions package-lock.json pins), active X-Ray tracing, its own log group with a
 * retention, its own role (no AWS-managed policies), Powertools environment, and each grant paired
 * with the environment variable that names the resource.
 *
 * @example
 * const worker = new ServiceFunction(this, 'Worker', {
 *   entry: 'worker.handler.ts',
 *   description: 'Delivers due notifications to the webhook',
 *   serviceName: 'occasions',
 *   logLevel: 'INFO',
 *   table: { table, access: 'readWrite', indexNames: [] },
 *   sendToQueue: queue,
 * });
 */
export class ServiceFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const entry = resolveEntry(props.entry);
    const environment = buildEnvironment(props);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      // Logs expire after the retention anyway; do not leave orphans when a stack is deleted.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // An own role instead of the default one, which would attach the AWS-managed
    // AWSLambdaBasicExecutionRole (logs:* on every log group).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Occasions ${id}: ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: NODE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      recursiveLoop: props.recursiveLoop,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      bundling: nodejsBundling(),
    });

    // Active tracing adds xray:PutTraceSegments / xray:PutTelemetryRecords on "*" to this role.
    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      'Only X-Ray PutTraceSegments/PutTelemetryRecords and, for the API, the read-only ' +
        'cloudwatch:GetMetricData use Resource "*": these actions support no resource-level ' +
        'permissions (test/infra asserts no other action is granted on "*").',
    );

    if (props.table !== undefined) this.grantTable(props.table);
    props.sendToQueue?.grantSendMessages(this.function);
    props.sendToDeadLetterQueue?.grantSendMessages(this.function);
    if (props.manageDeadLetterQueue !== undefined) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ManageDeadLetterQueue',
          actions: QUEUE_MANAGE_ACTIONS,
          resources: [props.manageDeadLetterQueue.queueArn],
        }),
      );
    }
    const invoked = Object.values(props.invokes ?? {});
    if (invoked.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'InvokeFunctions',
          actions: ['lambda:InvokeFunction'],
          resources: invoked.map((fn) => fn.functionArn),
        }),
      );
    }
    props.putEventsTo?.grantPutEventsTo(this.function);
    if (props.readsMetrics) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadDashboardMetrics',
          // Read-only, and GetMetricData has no resource-level permissions (Resource must be "*").
          actions: ['cloudwatch:GetMetricData'],
          resources: ['*'],
        }),
      );
    }
    for (const secret of Object.values(props.secrets ?? {})) secret.grantRead(this.function);
  }

  private grantTable({ table, access, indexNames }: TableAccess): void {
    const actions =
      access === 'get'
        ? ['dynamodb:GetItem']
        : access === 'readWrite'
          ? [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS]
          : TABLE_READ_ACTIONS;
    if (access === 'get' && indexNames.length > 0) {
      throw new Error('table access "get" reads items by key only; it cannot query indexes');
    }
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'TableData', actions, resources: [table.tableArn] }),
    );
    if (indexNames.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'TableIndexes',
          actions: ['dynamodb:Query'],
          resources: indexNames.map((name) => `${table.tableArn}/index/${name}`),
        }),
      );
    }
  }
}

/** Whether `functions/handlers/<entry>` exists (for functions whose handler lands separately). */
export function handlerExists(entry: string): boolean {
  return existsSync(join(HANDLERS_DIR, entry));
}

function resolveEntry(entry: string): string {
  const path = resolve(HANDLERS_DIR, entry);
  const inside = relative(HANDLERS_DIR, path);
  if (inside.startsWith('..') || inside.includes(sep) || !inside.endsWith('.handler.ts')) {
    throw new Error(
      `ServiceFunction entry must be a *.handler.ts file in functions/handlers/, got "${entry}"`,
    );
  }
  if (!existsSync(path)) {
    throw new Error(`ServiceFunction entry ${path} does not exist`);
  }
  return path;
}

function buildEnvironment(props: ServiceFunctionProps): Record<string, string> {
  const plain = props.environment ?? {};
  for (const name of Object.keys(plain)) {
    if (OWNED_ENV.includes(name) || name.endsWith('_SECRET_ARN') || name.endsWith('_FUNCTION_NAME')) {
      throw new Error(`environment.${name} is set by ServiceFunction itself; use the matching prop`);
    }
    if (/SECRET|PASSWORD|TOKEN|API_KEY/i.test(name)) {
      throw new Error(`environment.${name} looks like a secret: pass it through props.secrets`);
    }
  }
  const environment: Record<string, string> = {
    ...plain,
    NODE_OPTIONS: '--enable-source-maps',
    POWERTOOLS_SERVICE_NAME: props.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    LOG_LEVEL: props.logLevel,
    POWERTOOLS_LOG_LEVEL: props.logLevel,
  };
  if (props.table !== undefined) environment.TABLE_NAME = props.table.table.tableName;
  if (props.sendToQueue !== undefined) environment.QUEUE_URL = props.sendToQueue.queueUrl;
  const deadLetterQueues = [props.sendToDeadLetterQueue, props.manageDeadLetterQueue].filter(
    (queue) => queue !== undefined,
  );
  if (deadLetterQueues.some((queue) => queue !== deadLetterQueues[0])) {
    throw new Error('sendToDeadLetterQueue and manageDeadLetterQueue must be the same queue (one DLQ_URL)');
  }
  if (deadLetterQueues[0] !== undefined) environment.DLQ_URL = deadLetterQueues[0].queueUrl;
  if (props.putEventsTo !== undefined) environment.EVENT_BUS_NAME = props.putEventsTo.eventBusName;
  for (const [name, secret] of Object.entries(props.secrets ?? {})) {
    if (!/^[A-Z][A-Z0-9_]*_SECRET_ARN$/.test(name)) {
      throw new Error(
        `secret environment variable ${name} must end in _SECRET_ARN (it holds the ARN, not the value)`,
      );
    }
    environment[name] = secret.secretArn;
  }
  for (const [name, fn] of Object.entries(props.invokes ?? {})) {
    if (!/^[A-Z][A-Z0-9_]*_FUNCTION_NAME$/.test(name)) {
      throw new Error(`invoked function environment variable ${name} must end in _FUNCTION_NAME`);
    }
    environment[name] = fn.functionName;
  }
  return environment;
}
