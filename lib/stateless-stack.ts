import {
  CfnOutput,
  CrossStackReferences,
  Duration,
  ReferenceStrength,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { tableDefinition } from '../functions/adapters/dynamodb/table-definition';
import { SLOT_INDEX, WATCH_INDEX } from '../functions/adapters/dynamodb/table-layout';
import { DEFAULT_RUNBOOK_URL, VISIBILITY_TIMEOUT_FACTOR, type LogLevel } from './config';
import { ServiceFunction } from './constructs/service-function';
import { addProblemGatewayResponses } from './gateway-responses';
import { Monitoring } from './monitoring';
import { acknowledge } from './nag';
import type { StatefulStack } from './stateful-stack';

/** The stage's throttling when the environment sets none (lib/config.ts has the same defaults). */
const DEFAULT_API_RATE_LIMIT = 50;
const DEFAULT_API_BURST_LIMIT = 100;
export interface StatelessStackProps extends StackProps {
  readonly envName: string;
  /** The table, queues, bus, topic and secrets this stack's functions use. */
  readonly stateful: StatefulStack;
  /** Receiver of every notification (WEBHOOK_URL). */
  readonly webhookUrl: string;
  readonly logLevel: LogLevel;
  /** Must be the timeout the stateful stack derived the queue visibility from. */
  readonly workerTimeout: Duration;
  /** @default 20 */
  readonly workerMaxConcurrency?: number;
  /** The worker publishes `NotificationDelivered` per delivery (PUBLISH_DELIVERED_EVENTS). @default false */
  readonly publishDeliveredEvents?: boolean;
  /** Write shards per day of the due index (DUE_SHARDS). */
  readonly dueShards: number;
  /** Stage throttling. @default 50 requests/s, burst 100 */
  readonly apiRateLimit?: number;
  readonly apiBurstLimit?: number;
  /** @default true */
  readonly wafEnabled?: boolean;
  /** @default 1000 */
  readonly wafRateLimitPer5Minutes?: number;
  /** @default 15 minutes */
  readonly oldestMessageAgeAlarm?: Duration;
  /** @default 5 minutes */
  readonly schedulerLagAlarm?: Duration;
  /** @default 10 (%) */
  readonly failureRateAlarmPercent?: number;
  /** @default 15 minutes */
  readonly circuitOpenAlarm?: Duration;
  /** Published runbook; alarm descriptions link to its sections. @default 'docs/runbook.md' */
  readonly runbookUrl?: string;
  /** The one browser origin allowed to call the admin API. @default - CORS off */
  readonly corsAllowOrigin?: string;
  /** POWERTOOLS_SERVICE_NAME of every function. @default 'occasions' */
  readonly serviceName?: string;
}

/** Every index of the table, for the admin API's listings (users, notification log, by user). */
const ALL_INDEXES = (tableDefinition('Occasions').GlobalSecondaryIndexes ?? []).flatMap((index) =>
  index.IndexName === undefined ? [] : [index.IndexName],
);
const REPLAY_ENTRY = 'replay.handler.ts';

/** The REST API's name: also the `ApiName` dimension the API's metrics widgets read. */
const adminApiNameOf = (envName: string): string => `occasions-${envName}-admin`;

/** SQS → worker: up to 10 notifications per invocation, each reported on its own. */
export const WORKER_BATCH_SIZE = 10;

/**
 * Everything that can be replaced without losing data: the four functions, the every-minute
 * schedule, the SQS event source, the admin REST API with its authorizer and WAF, and monitoring.
 *
 * @example
 * new StatelessStack(app, 'Occasions-dev-Stateless', { envName: 'dev', stateful, webhookUrl, ... });
 */
export class StatelessStack extends Stack {
  public readonly scheduler: ServiceFunction;
  public readonly worker: ServiceFunction;
  public readonly api: ServiceFunction;
  public readonly authorizer: ServiceFunction;
  /** Replays a window of notifications for the admin API (POST /v1/replays). */
  public readonly replay: ServiceFunction;
  public readonly restApi: apigateway.RestApi;
  public readonly monitoring: Monitoring;

  public constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    // Strong references (Export/ImportValue) on purpose: CloudFormation then refuses to delete or
    // replace the table, queues or secrets while these functions still use them.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    const { stateful } = props;
    const visibility = stateful.notificationsVisibilityTimeout.toSeconds();
    if (visibility < VISIBILITY_TIMEOUT_FACTOR * props.workerTimeout.toSeconds()) {
      throw new Error(
        `notifications queue visibility timeout (${visibility} s) must be at least ${VISIBILITY_TIMEOUT_FACTOR} × ` +
          `the worker timeout (${props.workerTimeout.toSeconds()} s): pass the same workerTimeout to both stacks`,
      );
    }
    const maxConcurrency = props.workerMaxConcurrency ?? 20;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000) {
      throw new Error(
        `workerMaxConcurrency must be an integer in 2..1000 (SQS event source limits), got ${maxConcurrency}`,
      );
    }
    const serviceName = props.serviceName ?? 'occasions';
    const common = { serviceName, logLevel: props.logLevel };
    const dueShards = String(props.dueShards);
    // Index queries per function: the scheduler reads the slot (due) index and the watch index
    // (watchdog rescues); the worker reads and writes items by key only; the admin API and
    // replay list through every index (users, notification log, by user).
    const table = stateful.table;

    this.scheduler = new ServiceFunction(this, 'Scheduler', {
      ...common,
      entry: 'scheduler.handler.ts',
      description: 'Every minute: queries the slot (due) index and enqueues due occurrences',
      timeout: Duration.seconds(50),
      table: { table, access: 'readWrite', indexNames: [SLOT_INDEX.name, WATCH_INDEX.name] },
      sendToQueue: stateful.notificationsQueue,
      // Occurrences found later than the maximum lateness are announced as NotificationSkipped.
      putEventsTo: stateful.eventBus,
      environment: { DUE_SHARDS: dueShards },
      // A failed pass is not retried: the next tick, one minute later, resumes from the watermark.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(2),
    });
    new events.Rule(this, 'SchedulerTick', {
      description: 'Occasions: run the scheduler every minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(this.scheduler.function, {
          retryAttempts: 2,
          maxEventAge: Duration.minutes(2),
        }),
      ],
    });

    this.worker = new ServiceFunction(this, 'Worker', {
      ...common,
      entry: 'worker.handler.ts',
      description: 'Delivers queued notifications to the webhook (partial batch failures)',
      timeout: props.workerTimeout,
      table: { table, access: 'readWrite', indexNames: [] },
      sendToQueue: stateful.notificationsQueue,
      sendToDeadLetterQueue: stateful.deadLetterQueue,
      putEventsTo: stateful.eventBus,
      secrets: { WEBHOOK_SECRET_ARN: stateful.webhookSecret },
      environment: {
        WEBHOOK_URL: props.webhookUrl,
        DUE_SHARDS: dueShards,
        PUBLISH_DELIVERED_EVENTS: String(props.publishDeliveredEvents ?? false),
      },
      // The worker re-sends a message to its own source queue to delay a retry (SQS delays stop at
      // 15 min). Lambda's loop detection would drop such a chain after ~16 hops, and circuit-open
      // re-delays do not consume the retry budget, so a long outage would lose notifications.
      // The chain is bounded by the retry schedule and the DLQ instead.
      recursiveLoop: lambda.RecursiveLoop.ALLOW,
    });
    this.worker.function.addEventSource(
      new SqsEventSource(stateful.notificationsQueue, {
        batchSize: WORKER_BATCH_SIZE,
        maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    // Replay jobs run asynchronously: the API answers 202 and invokes this with InvocationType
    // Event. Lambda retries a failed async invocation twice; a replay is idempotent (the job id is
    // the request's digest, each requeue a conditional write recording the job), so a retry
    // resumes from the job's saved progress and re-enqueues nothing twice.
    this.replay = new ServiceFunction(this, 'Replay', {
      ...common,
      entry: REPLAY_ENTRY,
      description: 'Replays a window of notifications (POST /v1/replays), capped per job',
      timeout: Duration.minutes(5),
      table: { table, access: 'readWrite', indexNames: ALL_INDEXES },
      sendToQueue: stateful.notificationsQueue,
      environment: { DUE_SHARDS: dueShards },
      maxEventAge: Duration.hours(1),
    });
    // A job short of time continues in a fresh asynchronous invocation of this same function
    // (its name comes from AWS_LAMBDA_FUNCTION_NAME). A policy of its own, not the role's default
    // one: the function depends on that, and a reference back to its ARN would be a cycle.
    new iam.Policy(this, 'ReplaySelfInvoke', {
      roles: [this.replay.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'ContinueReplayJob',
          actions: ['lambda:InvokeFunction'],
          resources: [this.replay.function.functionArn],
        }),
      ],
    });

    this.api = new ServiceFunction(this, 'Api', {
      ...common,
      entry: 'api.handler.ts',
      description: 'Admin REST API (/v1) and health check',
      table: { table, access: 'readWrite', indexNames: ALL_INDEXES },
      // DLQ routes: list, delete and redrive (SendMessage to the notifications queue).
      sendToQueue: stateful.notificationsQueue,
      manageDeadLetterQueue: stateful.deadLetterQueue,
      invokes: { REPLAY_FUNCTION_NAME: this.replay.function },
      // An admin's circuit reset or force-open is announced like the breaker's own changes.
      putEventsTo: stateful.eventBus,
      // GET /v1/metrics (the console's dashboard) reads the dashboard's series from CloudWatch.
      readsMetrics: true,
      environment: {
        DUE_SHARDS: dueShards,
        API_NAME: adminApiNameOf(props.envName),
        // The per-key token bucket in the API mirrors the stage's throttling.
        API_RATE_LIMIT: String(props.apiRateLimit ?? DEFAULT_API_RATE_LIMIT),
        API_BURST_LIMIT: String(props.apiBurstLimit ?? DEFAULT_API_BURST_LIMIT),
        ...(props.corsAllowOrigin ? { CORS_ALLOW_ORIGIN: props.corsAllowOrigin } : {}),
      },
    });
    this.authorizer = new ServiceFunction(this, 'Authorizer', {
      ...common,
      entry: 'authorizer.handler.ts',
      description:
        'API Gateway REQUEST authorizer: checks x-api-key (bootstrap secret or stored hashed keys)',
      memorySize: 256,
      timeout: Duration.seconds(5),
      // Stored API keys are single items read by id (hashed): GetItem and nothing else.
      table: { table, access: 'get', indexNames: [] },
      secrets: { ADMIN_API_KEY_SECRET_ARN: stateful.adminApiKeySecret },
      environment: { DUE_SHARDS: dueShards },
    });

    // The dashboard's Lambda widgets in GET /v1/metrics name the functions by role (the API's
    // own name comes from AWS_LAMBDA_FUNCTION_NAME: a reference to itself would be a cycle).
    this.api.function.addEnvironment(
      'DASHBOARD_FUNCTION_NAMES',
      [
        `scheduler=${this.scheduler.function.functionName}`,
        `worker=${this.worker.function.functionName}`,
        `authorizer=${this.authorizer.function.functionName}`,
        `replay=${this.replay.function.functionName}`,
      ].join(','),
    );

    this.restApi = this.createApi(props);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      envName: props.envName,
      alarmTopic: stateful.alarmTopic,
      functions: {
        scheduler: this.scheduler.function,
        worker: this.worker.function,
        api: this.api.function,
        authorizer: this.authorizer.function,
        replay: this.replay.function,
      },
      restApi: this.restApi,
      queue: stateful.notificationsQueue,
      deadLetterQueue: stateful.deadLetterQueue,
      serviceName,
      runbookUrl: props.runbookUrl ?? DEFAULT_RUNBOOK_URL,
      oldestMessageAge: props.oldestMessageAgeAlarm ?? Duration.minutes(15),
      schedulerLag: props.schedulerLagAlarm ?? Duration.minutes(5),
      failureRatePercent: props.failureRateAlarmPercent ?? 10,
      circuitOpenFor: props.circuitOpenAlarm ?? Duration.minutes(15),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.restApi.url });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
  }

  private createApi(props: StatelessStackProps): apigateway.RestApi {
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const api = new apigateway.RestApi(this, 'AdminApi', {
      restApiName: adminApiNameOf(props.envName),
      description: 'Occasions admin API',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // Preflight only; the API function adds the CORS headers to its own answers
      // (CORS_ALLOW_ORIGIN) and the gateway responses add them to API Gateway's.
      ...(props.corsAllowOrigin
        ? {
            defaultCorsPreflightOptions: {
              allowOrigins: [props.corsAllowOrigin],
              allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
              allowHeaders: ['content-type', 'x-api-key', 'idempotency-key', 'if-match', 'x-request-id'],
              exposeHeaders: ['etag', 'location', 'retry-after', 'x-request-id'],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
      // Execution logging (APIG6) needs the regional API Gateway account role. It is a singleton per
      // account and region, so keep it when this stack is deleted: other APIs may rely on it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.envName,
        tracingEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        // Full request/response logging would write admin payloads (user data) to the logs.
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: props.apiRateLimit ?? DEFAULT_API_RATE_LIMIT,
        throttlingBurstLimit: props.apiBurstLimit ?? DEFAULT_API_BURST_LIMIT,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigateway.AccessLogField.contextRequestId(),
            extendedRequestId: apigateway.AccessLogField.contextExtendedRequestId(),
            xrayTraceId: apigateway.AccessLogField.contextXrayTraceId(),
            requestTime: apigateway.AccessLogField.contextRequestTime(),
            ip: apigateway.AccessLogField.contextIdentitySourceIp(),
            userAgent: apigateway.AccessLogField.contextIdentityUserAgent(),
            httpMethod: apigateway.AccessLogField.contextHttpMethod(),
            resourcePath: apigateway.AccessLogField.contextResourcePath(),
            path: apigateway.AccessLogField.contextPath(),
            status: apigateway.AccessLogField.contextStatus(),
            responseLength: apigateway.AccessLogField.contextResponseLength(),
            responseLatency: apigateway.AccessLogField.contextResponseLatency(),
            integrationLatency: apigateway.AccessLogField.contextIntegrationLatency(),
            integrationStatus: apigateway.AccessLogField.contextIntegrationStatus(),
            authorizerStatus: apigateway.AccessLogField.contextAuthorizerStatus(),
            authorizerLatency: apigateway.AccessLogField.contextAuthorizerLatency(),
            authorizerError: apigateway.AccessLogField.contextAuthorizerError(),
            principalId: apigateway.AccessLogField.contextAuthorizerPrincipalId(),
            errorMessage: apigateway.AccessLogField.contextErrorMessage(),
            wafStatus: apigateway.AccessLogField.contextWafStatus(),
          }),
        ),
      },
    });
    acknowledge(
      api.node.findChild('CloudWatchRole'),
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The regional API Gateway account role must write execution logs to log groups API Gateway ' +
        'names itself; AmazonAPIGatewayPushToCloudWatchLogs is the AWS-documented policy for it and ' +
        'grants only CloudWatch Logs writes.',
    );

    const authorizer = new apigateway.RequestAuthorizer(this, 'ApiKeyAuthorizer', {
      handler: this.authorizer.function,
      identitySources: [apigateway.IdentitySource.header('x-api-key')],
      // The authorizer answers with a policy for the whole stage (not just methodArn), so one
      // cached decision per key is valid for every route. A revoked key works for ≤ 5 more minutes.
      resultsCacheTtl: Duration.minutes(5),
    });
    // Body schemas are validated by the handler (zod); the validator checks required parameters.
    const validator = api.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integration = new apigateway.LambdaIntegration(this.api.function, { allowTestInvoke: false });

    // No required x-api-key parameter: a missing key must be the authorizer's 401, never a
    // request validator's 400.
    const authorized = {
      authorizer,
      authorizationType: apigateway.AuthorizationType.CUSTOM,
      requestValidator: validator,
    };
    const healthResource = api.root.addResource('health');
    const health = healthResource.addMethod('GET', integration, {
      authorizationType: apigateway.AuthorizationType.NONE,
      requestValidator: validator,
    });
    // Readiness reads the table and queues, so it needs a key like every route but /health.
    healthResource.addResource('ready').addMethod('GET', integration, authorized);
    acknowledge(
      health,
      'AwsSolutions-APIG4',
      'GET /health is the unauthenticated liveness probe for load balancers and uptime checks; it ' +
        'returns only a static status and reads no user data. Every other method uses the authorizer.',
    );
    // The operations console: a static page and its script and styles, served by the API function
    // itself. It signs in with an API key in the browser; every /v1 call it makes is authorized.
    const publicGet = { authorizationType: apigateway.AuthorizationType.NONE, requestValidator: validator };
    const consoleResource = api.root.addResource('console');
    const consoleMethods = [
      consoleResource.addMethod('GET', integration, publicGet),
      consoleResource.addResource('{asset+}').addMethod('GET', integration, publicGet),
    ];
    for (const method of consoleMethods) {
      acknowledge(
        method,
        'AwsSolutions-APIG4',
        'GET /console and its assets are the static operations console (HTML, script, styles), the same ' +
          'bytes for everyone and no data; the console calls /v1 with the operator’s API key.',
      );
    }
    const v1 = api.root.addResource('v1');
    v1.addProxy({ anyMethod: true, defaultIntegration: integration, defaultMethodOptions: authorized });
    addProblemGatewayResponses(api, props.corsAllowOrigin);
    if (props.corsAllowOrigin) {
      // The preflight OPTIONS methods CDK adds are MOCK integrations without authorization:
      // browsers send preflights without credentials, and they return only CORS headers.
      for (const child of api.node.findAll()) {
        if (child instanceof apigateway.Method && child.httpMethod === 'OPTIONS') {
          acknowledge(
            child,
            'AwsSolutions-APIG4',
            'CORS preflight (OPTIONS, MOCK integration): browsers send it without credentials and it ' +
              'returns only the CORS headers for the configured console origin; no data, no Lambda.',
          );
          acknowledge(
            child,
            'AwsSolutions-COG4',
            'CORS preflight (OPTIONS, MOCK integration) cannot carry credentials; it returns only headers.',
          );
        }
      }
    }
    // COG4 asks for Cognito user pools on every method.
    acknowledge(
      api,
      'AwsSolutions-COG4',
      'The admin API is called by operators and automation with an API key, not by end users who sign ' +
        'in: a Lambda REQUEST authorizer checks x-api-key against Secrets Manager on every /v1 method.',
    );

    if (props.wafEnabled ?? true) {
      this.attachWebAcl(api, props.wafRateLimitPer5Minutes ?? 1000);
    } else {
      acknowledge(
        api.deploymentStage,
        'AwsSolutions-APIG3',
        'WAF is switched off by configuration (wafEnabled=false) for this environment; the API is ' +
          'still behind the API-key authorizer and stage throttling.',
      );
    }
    return api;
  }

  private attachWebAcl(api: apigateway.RestApi, rateLimit: number): void {
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: visibility(name),
    });
    const webAcl = new wafv2.CfnWebACL(this, 'ApiWebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('OccasionsAdminApi'),
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: rateLimit, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
        managed('AWSManagedRulesKnownBadInputsRuleSet', 1),
        managed('AWSManagedRulesCommonRuleSet', 2),
      ],
    });
    const association = new wafv2.CfnWebACLAssociation(this, 'ApiWebAclAssociation', {
      resourceArn: api.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
    });
    // stageArn is built from the stage *name*: without this the association may race the stage.
    association.node.addDependency(api.deploymentStage);
  }
}
