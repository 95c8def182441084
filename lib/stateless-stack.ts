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
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { DUE_INDEX, LIST_INDEX, WATCH_INDEX } from '../functions/adapters/dynamodb/table-layout';
import { VISIBILITY_TIMEOUT_FACTOR, type LogLevel } from './config';
import { ServiceFunction } from './constructs/service-function';
import { Monitoring } from './monitoring';
import { acknowledge } from './nag';
import type { StatefulStack } from './stateful-stack';

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
  /** POWERTOOLS_SERVICE_NAME of every function. @default 'occasions' */
  readonly serviceName?: string;
}

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
    const common = { serviceName: props.serviceName ?? 'occasions', logLevel: props.logLevel };
    const dueShards = String(props.dueShards);
    const tableAccess = {
      table: stateful.table,
      access: 'readWrite',
      indexNames: [DUE_INDEX.name, LIST_INDEX.name, WATCH_INDEX.name],
    } as const;

    this.scheduler = new ServiceFunction(this, 'Scheduler', {
      ...common,
      entry: 'scheduler.handler.ts',
      description: 'Every minute: queries the due index and enqueues due occurrences',
      timeout: Duration.seconds(50),
      table: tableAccess,
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
      table: tableAccess,
      sendToQueue: stateful.notificationsQueue,
      sendToDeadLetterQueue: stateful.deadLetterQueue,
      putEventsTo: stateful.eventBus,
      secrets: { WEBHOOK_SECRET_ARN: stateful.webhookSecret },
      environment: { WEBHOOK_URL: props.webhookUrl, DUE_SHARDS: dueShards },
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

    this.api = new ServiceFunction(this, 'Api', {
      ...common,
      entry: 'api.handler.ts',
      description: 'Admin REST API (/v1) and health check',
      table: tableAccess,
      environment: { DUE_SHARDS: dueShards },
    });
    this.authorizer = new ServiceFunction(this, 'Authorizer', {
      ...common,
      entry: 'authorizer.handler.ts',
      description: 'API Gateway REQUEST authorizer: checks x-api-key against the admin key secret',
      memorySize: 256,
      timeout: Duration.seconds(5),
      secrets: { ADMIN_API_KEY_SECRET_ARN: stateful.adminApiKeySecret },
    });

    this.restApi = this.createApi(props);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      envName: props.envName,
      alarmTopic: stateful.alarmTopic,
      scheduler: this.scheduler.function,
      worker: this.worker.function,
      api: this.api.function,
      authorizer: this.authorizer.function,
      restApi: this.restApi,
      queue: stateful.notificationsQueue,
      deadLetterQueue: stateful.deadLetterQueue,
      oldestMessageAge: props.oldestMessageAgeAlarm ?? Duration.minutes(15),
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
      restApiName: `occasions-${props.envName}-admin`,
      description: 'Occasions admin API',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
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
        throttlingRateLimit: props.apiRateLimit ?? 50,
        throttlingBurstLimit: props.apiBurstLimit ?? 100,
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

    const health = api.root.addResource('health').addMethod('GET', integration, {
      authorizationType: apigateway.AuthorizationType.NONE,
      requestValidator: validator,
    });
    acknowledge(
      health,
      'AwsSolutions-APIG4',
      'GET /health is the unauthenticated liveness probe for load balancers and uptime checks; it ' +
        'returns only a static status and reads no user data. Every other method uses the authorizer.',
    );
    const v1 = api.root.addResource('v1');
    v1.addProxy({
      anyMethod: true,
      defaultIntegration: integration,
      defaultMethodOptions: {
        authorizer,
        authorizationType: apigateway.AuthorizationType.CUSTOM,
        requestValidator: validator,
        requestParameters: { 'method.request.header.x-api-key': true },
      },
    });
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
