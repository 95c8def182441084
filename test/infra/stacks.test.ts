import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../../functions/adapters/dynamodb/table-definition';
import { SLOT_INDEX, WATCH_INDEX } from '../../functions/adapters/dynamodb/table-layout';
import { PROBLEM_CONTENT_TYPE, problem, ProblemSchema } from '../../functions/api/problem';
import { MetricName } from '../../functions/commons/powertools';
import { loadConfig, VISIBILITY_TIMEOUT_FACTOR } from '../../lib/config';
import { ServiceFunction } from '../../lib/constructs/service-function';
import { DASHBOARD_WIDGETS, FUNCTION_ROLES } from '../../functions/commons/dashboard-widgets';
import { GATEWAY_PROBLEMS } from '../../lib/gateway-responses';
import { buildOccasions } from '../../lib/occasions-app';
import { StatelessStack } from '../../lib/stateless-stack';
import {
  alarmsOf,
  asArray,
  environmentOf,
  functionProps,
  functionStatements,
  json,
  logicalIdOf,
  pathOf,
  resolveImport,
  resourcesOf,
  statementsOf,
  synth,
  type Synthesized,
} from './support';

const uniq = (actions: string[]) => [...new Set(actions)].sort();
const actionsOf = (s: Synthesized, fn: ServiceFunction) =>
  uniq(functionStatements(s, fn).flatMap((st) => asArray(st.Action)));
const ALL_INDEXES = (tableDefinition('x').GlobalSecondaryIndexes ?? []).map((index) => index.IndexName);

/** The only methods without the authorizer: liveness and the console's static files. */
const PUBLIC_ROUTES = new Set(['GET /health', 'GET /console', 'GET /console/{asset+}']);
describe('Occasions infrastructure (env dev, defaults)', () => {
  let s: Synthesized;
  let functions: [string, ServiceFunction][];
  beforeAll(() => {
    s = synth();
    const { scheduler, worker, api, authorizer, replay } = s.stateless;
    functions = Object.entries({ scheduler, worker, api, authorizer, replay });
  });

  describe('stateful stack', () => {
    it('declares the table exactly as tableDefinition() does, on demand', () => {
      const expected = tableDefinition('ignored');
      const [[, table] = []] = resourcesOf(s.statefulTemplate, 'AWS::DynamoDB::Table');
      const props = table!.Properties;
      const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) =>
        String(a.AttributeName).localeCompare(String(b.AttributeName));
      const byIndex = (a: { IndexName?: string }, b: { IndexName?: string }) =>
        String(a.IndexName).localeCompare(String(b.IndexName));

      expect(props.BillingMode).toBe(expected.BillingMode);
      expect(props.KeySchema).toEqual(expected.KeySchema);
      expect([...(props.AttributeDefinitions as { AttributeName: string }[])].sort(byName)).toEqual(
        [...expected.AttributeDefinitions!].sort(byName),
      );
      expect([...(props.GlobalSecondaryIndexes as { IndexName: string }[])].sort(byIndex)).toEqual(
        [...expected.GlobalSecondaryIndexes!].sort(byIndex),
      );
    });

    it('keeps the table: PITR, encryption, RETAIN; deletion protection off in dev', () => {
      s.statefulTemplate.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          DeletionProtectionEnabled: false,
        }),
      });
    });

    it('gives every queue a DLQ, SSE and TLS-only access; the DLQ outlives the source', () => {
      const queues = resourcesOf(s.statefulTemplate, 'AWS::SQS::Queue');
      expect(queues).toHaveLength(2);
      const dlqIds = queues.flatMap(([, queue]) => {
        const redrive = queue.Properties.RedrivePolicy as
          { deadLetterTargetArn: { 'Fn::GetAtt': string[] } } | undefined;
        return redrive ? [redrive.deadLetterTargetArn['Fn::GetAtt'][0]] : [];
      });
      for (const [id, queue] of queues) {
        expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
        expect(queue.Properties.RedrivePolicy !== undefined || dlqIds.includes(id)).toBe(true);
      }
      const [dlqId] = dlqIds;
      const source = queues.find(([, queue]) => queue.Properties.RedrivePolicy !== undefined)![1];
      const dlq = json(s.statefulTemplate).Resources[dlqId!]!;
      expect(source.Properties.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
        maxReceiveCount: 5,
      });
      expect(source.Properties.MessageRetentionPeriod).toBe(7 * 24 * 3600);
      expect(dlq.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      expect(dlq.Properties.MessageRetentionPeriod as number).toBeGreaterThan(
        source.Properties.MessageRetentionPeriod as number,
      );
      const policies = resourcesOf(s.statefulTemplate, 'AWS::SQS::QueuePolicy');
      expect(policies).toHaveLength(2);
      for (const [, policy] of policies) {
        expect(policy.Properties.PolicyDocument).toMatchObject({
          Statement: expect.arrayContaining([
            expect.objectContaining({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]) as unknown,
        });
      }
      const covered = policies.flatMap(([, policy]) =>
        (policy.Properties.Queues as { Ref: string }[]).map((queue) => queue.Ref),
      );
      expect(covered.sort()).toEqual(queues.map(([id]) => id).sort());
    });

    it('has the occasions event bus with a 30-day archive', () => {
      s.statefulTemplate.hasResourceProperties('AWS::Events::EventBus', { Name: 'occasions-dev' });
      s.statefulTemplate.hasResourceProperties('AWS::Events::Archive', {
        RetentionDays: 30,
        SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventBus'), 'Arn'] },
      });
    });

    it('encrypts the alarm topic with a rotating key CloudWatch may use, TLS only', () => {
      s.statefulTemplate.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmTopicKey'), 'Arn'] },
      });
      s.statefulTemplate.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            }),
          ]),
        },
      });
      s.statefulTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: { ArnLike: { 'aws:SourceArn': Match.anyValue() } },
            }),
          ]),
        },
      });
    });

    it('generates both secrets in Secrets Manager; no value is in the template', () => {
      const secrets = resourcesOf(s.statefulTemplate, 'AWS::SecretsManager::Secret');
      expect(secrets).toHaveLength(2);
      for (const [, secret] of secrets) {
        expect(secret.Properties.SecretString).toBeUndefined();
        expect(secret.Properties.GenerateSecretString).toMatchObject({ ExcludePunctuation: true });
      }
    });
  });

  describe('functions', () => {
    const common = [
      'LOG_LEVEL',
      'NODE_OPTIONS',
      'POWERTOOLS_LOG_LEVEL',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
    ];

    it('run Node.js 24 on arm64 with active tracing, source maps and their own 30-day log group', () => {
      const fns = resourcesOf(s.statelessTemplate, 'AWS::Lambda::Function');
      expect(fns).toHaveLength(functions.length);
      for (const [, fn] of fns) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          Handler: 'index.handler',
          Environment: {
            Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) as unknown,
          },
          LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/LogGroup/) as unknown } },
        });
        const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
        expect(json(s.statelessTemplate).Resources[logGroupId]!.Properties.RetentionInDays).toBe(30);
      }
    });

    it('receive exactly their environment: names and ARNs, never secret values', () => {
      const expectedEnv: Record<string, string[]> = {
        scheduler: ['DUE_SHARDS', 'EVENT_BUS_NAME', 'QUEUE_URL', 'TABLE_NAME'],
        worker: [
          'DLQ_URL',
          'DUE_SHARDS',
          'EVENT_BUS_NAME',
          'PUBLISH_DELIVERED_EVENTS',
          'QUEUE_URL',
          'TABLE_NAME',
          'WEBHOOK_SECRET_ARN',
          'WEBHOOK_URL',
        ],
        api: [
          'API_BURST_LIMIT',
          'API_NAME',
          'API_RATE_LIMIT',
          'DASHBOARD_FUNCTION_NAMES',
          'DLQ_URL',
          'DUE_SHARDS',
          'EVENT_BUS_NAME',
          'QUEUE_URL',
          'TABLE_NAME',
          'REPLAY_FUNCTION_NAME',
        ],
        authorizer: ['ADMIN_API_KEY_SECRET_ARN', 'DUE_SHARDS', 'TABLE_NAME'],
        replay: ['DUE_SHARDS', 'QUEUE_URL', 'TABLE_NAME'],
      };
      for (const [name, fn] of functions) {
        const env = environmentOf(s, fn);
        expect(Object.keys(env).sort(), name).toEqual([...expectedEnv[name]!, ...common].sort());
        expect(env).toMatchObject({
          POWERTOOLS_SERVICE_NAME: 'occasions',
          POWERTOOLS_METRICS_NAMESPACE: 'Occasions',
          LOG_LEVEL: 'DEBUG',
        });
      }
      expect(environmentOf(s, s.stateless.worker)).toMatchObject({
        WEBHOOK_URL: 'https://example.com/occasions-webhook',
        DUE_SHARDS: '8',
        // A NotificationDelivered event per delivery only when asked for (issue 6 cost cuts).
        PUBLISH_DELIVERED_EVENTS: 'false',
      });
      const queueId = s.stateful.getLogicalId(s.stateful.notificationsQueue.node.defaultChild as never);
      const dlqId = s.stateful.getLogicalId(s.stateful.deadLetterQueue.node.defaultChild as never);
      const apiEnv = environmentOf(s, s.stateless.api);
      expect(resolveImport(s.statefulTemplate, apiEnv.QUEUE_URL)).toEqual({ Ref: queueId });
      expect(resolveImport(s.statefulTemplate, apiEnv.DLQ_URL)).toEqual({ Ref: dlqId });
    });

    it('pass secrets only as the ARN of a Secrets Manager secret; no value in any template', () => {
      const secretIds = resourcesOf(s.statefulTemplate, 'AWS::SecretsManager::Secret').map(([id]) => id);
      for (const [, fn] of functions) {
        for (const [key, value] of Object.entries(environmentOf(s, fn))) {
          if (/SECRET|KEY|TOKEN|PASSWORD/.test(key)) {
            expect(key).toMatch(/_SECRET_ARN$/);
            const resolved = resolveImport(s.statefulTemplate, value) as { Ref?: string };
            expect(secretIds).toContain(resolved.Ref);
          }
          // A value is a literal or a reference to a name, URL or ARN, never a secret's content.
          expect(JSON.stringify(value)).not.toMatch(/SecretString|resolve:secretsmanager|resolve:ssm-secure/);
        }
      }
      for (const template of [s.statefulTemplate, s.statelessTemplate]) {
        expect(JSON.stringify(template.toJSON())).not.toMatch(/resolve:secretsmanager|"SecretString"/);
      }
    });

    it('refuses secret-looking or construct-owned environment variables at synth', () => {
      const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');
      const base = {
        entry: 'api.handler.ts',
        description: 'probe',
        serviceName: 'x',
        logLevel: 'INFO',
      } as const;
      expect(
        () => new ServiceFunction(stack, 'A', { ...base, environment: { WEBHOOK_SECRET: 'whsec_x' } }),
      ).toThrow(/looks like a secret/);
      expect(() => new ServiceFunction(stack, 'B', { ...base, environment: { TABLE_NAME: 't' } })).toThrow(
        /set by ServiceFunction/,
      );
      const table = new dynamodb.Table(stack, 'T', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      });
      expect(
        () =>
          new ServiceFunction(stack, 'C', { ...base, table: { table, access: 'get', indexNames: ['i'] } }),
      ).toThrow(/cannot query indexes/);
      expect(() => new ServiceFunction(stack, 'D', { ...base, entry: '../api/app.ts' })).toThrow(
        /handler\.ts/,
      );
    });

    it('grant no wildcard action on data, no Scan, and "*" only to X-Ray and the read of metrics', () => {
      for (const statement of [...statementsOf(s.statefulTemplate), ...statementsOf(s.statelessTemplate)]) {
        const actions = asArray(statement.Action);
        for (const action of actions) {
          if (/^(dynamodb|sqs|secretsmanager|lambda|events|sns|kms):/.test(action)) {
            expect(action).not.toMatch(/:\*$|^\*$/);
          }
          expect(action).not.toBe('dynamodb:Scan');
        }
        if (asArray(statement.Resource).includes('*')) {
          expect([
            ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
            ['cloudwatch:GetMetricData'],
          ]).toContainEqual(actions.sort());
        }
      }
    });

    it('give each function only the grants it needs', () => {
      const base = [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ];
      const table = [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ];
      const send = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
      const consume = ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:ReceiveMessage'];
      const secret = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
      expect(actionsOf(s, s.stateless.scheduler)).toEqual(
        uniq([...base, ...table, ...send, 'events:PutEvents']),
      );
      expect(actionsOf(s, s.stateless.worker)).toEqual(
        uniq([...base, ...table, ...send, ...secret, ...consume, 'events:PutEvents']),
      );
      expect(actionsOf(s, s.stateless.api)).toEqual(
        uniq([
          ...base,
          ...table,
          ...send,
          ...consume,
          'events:PutEvents',
          'lambda:InvokeFunction',
          // GET /v1/metrics, the console's dashboard (read-only; no resource-level permissions).
          'cloudwatch:GetMetricData',
        ]),
      );
      expect(actionsOf(s, s.stateless.authorizer)).toEqual(uniq([...base, ...secret, 'dynamodb:GetItem']));
      // lambda:InvokeFunction: a job short of time continues in a fresh invocation of itself.
      expect(actionsOf(s, s.stateless.replay)).toEqual(
        uniq([...base, ...table, ...send, 'lambda:InvokeFunction']),
      );
    });

    it('lets the API settle DLQ messages and send only to the notifications queue', () => {
      const statements = functionStatements(s, s.stateless.api);
      const dlqArn = {
        'Fn::GetAtt': [s.stateful.getLogicalId(s.stateful.deadLetterQueue.node.defaultChild as never), 'Arn'],
      };
      const queueArn = {
        'Fn::GetAtt': [
          s.stateful.getLogicalId(s.stateful.notificationsQueue.node.defaultChild as never),
          'Arn',
        ],
      };
      const resourcesFor = (action: string) =>
        statements
          .filter((st) => asArray(st.Action).includes(action))
          .flatMap((st) => asArray(st.Resource).map((r) => resolveImport(s.statefulTemplate, r)));
      expect(resourcesFor('sqs:SendMessage')).toEqual([queueArn]);
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) {
        expect(resourcesFor(action), action).toEqual([dlqArn]);
      }
    });

    it('grants index queries per function: due and watch to the scheduler, every index to the API', () => {
      const indexesOf = (fn: ServiceFunction) =>
        functionStatements(s, fn)
          .filter((st) => st.Sid === 'TableIndexes')
          .flatMap((st) => asArray(st.Resource))
          .map((r) => JSON.stringify(r).match(/\/index\/([a-z-]+)/)?.[1])
          .sort();
      expect(indexesOf(s.stateless.scheduler)).toEqual([SLOT_INDEX.name, WATCH_INDEX.name].sort());
      expect(indexesOf(s.stateless.worker)).toEqual([]);
      expect(indexesOf(s.stateless.authorizer)).toEqual([]);
      expect(indexesOf(s.stateless.api)).toEqual([...ALL_INDEXES].sort());
    });

    it('lets the API invoke exactly the replay function', () => {
      const invoke = functionStatements(s, s.stateless.api).filter((st) =>
        asArray(st.Action).includes('lambda:InvokeFunction'),
      );
      expect(invoke.flatMap((st) => asArray(st.Resource))).toEqual([
        { 'Fn::GetAtt': [logicalIdOf(s.stateless.replay), 'Arn'] },
      ]);
      expect(environmentOf(s, s.stateless.api).REPLAY_FUNCTION_NAME).toEqual({
        Ref: logicalIdOf(s.stateless.replay),
      });
    });
  });

  describe('scheduler and worker', () => {
    it('runs the scheduler every minute', () => {
      s.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalIdOf(s.stateless.scheduler), 'Arn'] } })],
      });
    });

    it('feeds the worker from the notifications queue in batches of 10 with partial failures', () => {
      s.statelessTemplate.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
      const [[, mapping] = []] = resourcesOf(s.statelessTemplate, 'AWS::Lambda::EventSourceMapping');
      expect(mapping!.Properties).toMatchObject({
        FunctionName: { Ref: logicalIdOf(s.stateless.worker) },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 20 },
      });
      const queueId = s.stateful.getLogicalId(s.stateful.notificationsQueue.node.defaultChild as never);
      expect(resolveImport(s.statefulTemplate, mapping!.Properties.EventSourceArn)).toEqual({
        'Fn::GetAtt': [queueId, 'Arn'],
      });
    });

    it(`gives the queue a visibility timeout of at least ${VISIBILITY_TIMEOUT_FACTOR}× the worker timeout`, () => {
      const workerTimeout = functionProps(s, s.stateless.worker).Timeout as number;
      const queueId = s.stateful.getLogicalId(s.stateful.notificationsQueue.node.defaultChild as never);
      const visibility = json(s.statefulTemplate).Resources[queueId]!.Properties.VisibilityTimeout as number;
      expect(workerTimeout).toBe(30);
      expect(visibility).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_FACTOR * workerTimeout);
    });

    it('refuses a worker timeout the queue visibility was not derived from', () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const { stateful } = buildOccasions(app, loadConfig(app.node));
      const config = loadConfig(app.node);
      expect(
        () =>
          new StatelessStack(app, 'Mismatch', {
            ...config,
            stateful,
            workerTimeout: config.workerTimeout.plus(config.workerTimeout),
          }),
      ).toThrow(/visibility timeout/);
    });
  });

  describe('admin API', () => {
    it('puts the x-api-key REQUEST authorizer on every method except GET /health', () => {
      const [[authorizerId, authorizer] = []] = resourcesOf(
        s.statelessTemplate,
        'AWS::ApiGateway::Authorizer',
      );
      expect(authorizer!.Properties).toMatchObject({
        Type: 'REQUEST',
        IdentitySource: 'method.request.header.x-api-key',
        AuthorizerResultTtlInSeconds: 300,
      });
      const methods = resourcesOf(s.statelessTemplate, 'AWS::ApiGateway::Method').map(([, method]) => ({
        route: `${String(method.Properties.HttpMethod)} ${pathOf(s.statelessTemplate, method.Properties.ResourceId)}`,
        props: method.Properties,
      }));
      expect(methods.map((m) => m.route).sort()).toEqual([
        'ANY /v1/{proxy+}',
        'GET /console',
        'GET /console/{asset+}',
        'GET /health',
        'GET /health/ready',
      ]);
      for (const { route, props } of methods) {
        // Public: the liveness probe and the console's static page and assets (no data).
        if (PUBLIC_ROUTES.has(route)) {
          expect(props.AuthorizationType).toBe('NONE');
          expect(props.AuthorizerId).toBeUndefined();
        } else {
          expect(props.AuthorizationType, route).toBe('CUSTOM');
          expect(props.AuthorizerId, route).toEqual({ Ref: authorizerId });
          // A required header would let a request validator answer 400 before the authorizer's 401.
          expect(props.RequestParameters, route).toBeUndefined();
        }
      }
    });

    it('throttles, traces and access-logs the stage, behind WAF', () => {
      s.statelessTemplate.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'dev',
        TracingEnabled: true,
        AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
        MethodSettings: [
          Match.objectLike({
            HttpMethod: '*',
            ResourcePath: '/*',
            LoggingLevel: 'ERROR',
            DataTraceEnabled: false,
            ThrottlingRateLimit: 50,
            ThrottlingBurstLimit: 100,
          }),
        ],
      });
      // The API's own per-key token bucket has the stage's figures, and it may announce circuits.
      expect(environmentOf(s, s.stateless.api)).toMatchObject({
        API_RATE_LIMIT: '50',
        API_BURST_LIMIT: '100',
        EVENT_BUS_NAME: expect.anything() as unknown,
      });
      s.statelessTemplate.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiWebAcl'), 'Arn'] },
      });
    });

    it("answers API Gateway's own errors as problem+json with our type URIs", () => {
      const responses = new Map(
        resourcesOf(s.statelessTemplate, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => [
          String(r.Properties.ResponseType),
          r.Properties,
        ]),
      );
      const expected: Record<string, number> = {
        UNAUTHORIZED: 401,
        ACCESS_DENIED: 403,
        REQUEST_TOO_LARGE: 413,
        THROTTLED: 429,
        DEFAULT_4XX: 400,
        DEFAULT_5XX: 500,
      };
      for (const [type, status] of Object.entries(expected))
        expect(responses.get(type)?.StatusCode, type).toBe(String(status));
      expect(responses.size).toBe(GATEWAY_PROBLEMS.length);
      for (const [type, props] of responses) {
        const headers = props.ResponseParameters as Record<string, string>;
        expect(headers['gatewayresponse.header.Content-Type'], type).toBe(`'${PROBLEM_CONTENT_TYPE}'`);
        expect(headers['gatewayresponse.header.Access-Control-Allow-Origin'], type).toBeUndefined();
        const template = (props.ResponseTemplates as Record<string, string>)['application/json']!;
        // What API Gateway sends once it substitutes its message (a JSON string) into the template.
        const body: unknown = JSON.parse(template.replace('$context.error.messageString', '"Forbidden"'));
        const parsed = ProblemSchema.parse(body);
        expect(String(parsed.status), type).toBe(props.StatusCode);
        const kind = parsed.type.split('/').pop()!;
        expect(problem(kind as never, '').type, type).toBe(parsed.type);
        expect(parsed.title).toBe(problem(kind as never, '').title);
      }
      expect(responses.get('THROTTLED')!.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Retry-After': "'1'",
      });
      expect(
        JSON.parse(
          (responses.get('UNAUTHORIZED')!.ResponseTemplates as Record<string, string>)['application/json']!,
        ),
      ).toEqual(problem('unauthorized', 'Send a valid API key in the x-api-key header.'));
    });
  });

  describe('monitoring', () => {
    it('gives every queue with a DLQ an alarm on that DLQ holding any message', () => {
      const queues = resourcesOf(s.statefulTemplate, 'AWS::SQS::Queue').filter(
        ([, q]) => q.Properties.RedrivePolicy,
      );
      expect(queues.length).toBeGreaterThan(0);
      for (const [, queue] of queues) {
        const dlqId = (queue.Properties.RedrivePolicy as { deadLetterTargetArn: { 'Fn::GetAtt': string[] } })
          .deadLetterTargetArn['Fn::GetAtt'][0];
        const dlqAlarms = [...alarmsOf(s).values()].filter((alarm) =>
          ((alarm.Dimensions ?? []) as { Name: string; Value: unknown }[]).some(
            (d) =>
              d.Name === 'QueueName' &&
              JSON.stringify(resolveImport(s.statefulTemplate, d.Value)) ===
                JSON.stringify({ 'Fn::GetAtt': [dlqId, 'QueueName'] }),
          ),
        );
        expect(dlqAlarms).toContainEqual(
          expect.objectContaining({
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateNumberOfMessagesVisible',
            ComparisonOperator: 'GreaterThanThreshold',
            Threshold: 0,
          }),
        );
      }
    });

    it('has exactly the alarms of the runbook, by severity', () => {
      const names = [...alarmsOf(s).keys()].sort();
      const fnAlarms = functions.flatMap(([role]) => {
        const name = role.charAt(0).toUpperCase() + role.slice(1);
        const errors = role === 'scheduler' || role === 'worker' ? 'critical' : 'warning';
        return [`${errors}-${name}Errors`, `warning-${name}Throttles`];
      });
      expect(names).toEqual(
        [
          'warning-DeadLetterQueueNotEmpty',
          'critical-OldestMessageTooOld',
          'critical-SchedulerNotRunning',
          'critical-SchedulerLagging',
          'warning-CircuitOpenTooLong',
          'critical-DeliveryFailureRate',
          'warning-Api5xx',
          ...fnAlarms,
        ]
          .map((suffix) => `Occasions-dev-${suffix}`)
          .sort(),
      );
      for (const [name, alarm] of alarmsOf(s)) {
        const [, severity, id] = /^Occasions-dev-(critical|warning)-(\w+)$/.exec(name)!;
        expect(alarm.AlarmDescription, name).toMatch(new RegExp(`^${severity!.toUpperCase()}: `));
        expect(alarm.AlarmDescription, name).toMatch(
          new RegExp(`Runbook: docs/runbook\\.md#${id!.toLowerCase()}$`),
        );
      }
    });

    it('alarms on errors and throttles of every function', () => {
      for (const [role, fn] of functions) {
        for (const metric of ['Errors', 'Throttles']) {
          s.statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
            Namespace: 'AWS/Lambda',
            MetricName: metric,
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(fn) } }],
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            TreatMissingData: 'notBreaching',
            AlarmName: Match.stringLikeRegexp(`${role.charAt(0).toUpperCase()}${role.slice(1)}${metric}$`),
          });
        }
      }
    });

    it('alarms when the scheduler stops running, treating missing data as breaching', () => {
      s.statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'Occasions-dev-critical-SchedulerNotRunning',
        MetricName: 'Invocations',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(s.stateless.scheduler) } }],
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        TreatMissingData: 'breaching',
      });
    });

    it('alarms on scheduler lag, short-circuits and the failure rate from the metrics the code emits', () => {
      const byName = alarmsOf(s);
      expect(byName.get('Occasions-dev-critical-SchedulerLagging')).toMatchObject({
        Namespace: 'Occasions',
        MetricName: MetricName.SchedulerLagMs,
        Dimensions: [{ Name: 'service', Value: 'occasions' }],
        Statistic: 'Maximum',
        Threshold: 300_000,
        EvaluationPeriods: 3,
        TreatMissingData: 'notBreaching',
      });
      expect(byName.get('Occasions-dev-warning-CircuitOpenTooLong')).toMatchObject({
        MetricName: MetricName.ShortCircuited,
        Dimensions: [{ Name: 'service', Value: 'occasions' }],
        Period: 300,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
      });
      const rate = byName.get('Occasions-dev-critical-DeliveryFailureRate')!;
      expect(rate).toMatchObject({ Threshold: 10, ComparisonOperator: 'GreaterThanThreshold' });
      const metrics = rate.Metrics as {
        Id: string;
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string } };
      }[];
      expect(metrics.find((m) => m.Expression)?.Expression).toContain('100 * failed / (delivered + failed)');
      expect(metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : [])).sort()).toEqual(
        [MetricName.Delivered, MetricName.Failed].sort(),
      );
    });

    it('sends every alarm and recovery to the alarm topic', () => {
      const topicId = s.stateful.getLogicalId(s.stateful.alarmTopic.node.defaultChild as never);
      const alarms = resourcesOf(s.statelessTemplate, 'AWS::CloudWatch::Alarm');
      expect(alarms.length).toBeGreaterThan(0);
      for (const [id, alarm] of alarms) {
        for (const key of ['AlarmActions', 'OKActions']) {
          const targets = (alarm.Properties[key] as unknown[]).map((t) =>
            resolveImport(s.statefulTemplate, t),
          );
          expect(targets, `${id}.${key}`).toEqual([{ Ref: topicId }]);
        }
      }
    });

    it('draws every widget definition on the "Occasions on-call" dashboard', () => {
      const [[, dashboard] = []] = resourcesOf(s.statelessTemplate, 'AWS::CloudWatch::Dashboard');
      expect(dashboard!.Properties.DashboardName).toBe('Occasions-on-call-dev');
      const body = JSON.stringify(dashboard!.Properties.DashboardBody);
      expect(body).toContain('# Occasions on-call (dev)');
      for (const widget of DASHBOARD_WIDGETS.flat())
        expect(body, widget.id).toContain(JSON.stringify(widget.title).slice(1, -1));
      // Business metrics by exact name and dimension, or by SEARCH for per-reason/per-endpoint lines.
      const charted = DASHBOARD_WIDGETS.flat().flatMap((w) =>
        w.metrics.flatMap((m) => (m.source === 'business' ? [m.metricName] : [])),
      );
      expect(new Set(charted)).toEqual(new Set(Object.values(MetricName)));
      expect(body).toContain('{Occasions,FailureReason,service} MetricName=');
      expect(body).toContain('{Occasions,Endpoint,service} MetricName=');
      // Lambda widgets have one line per function.
      for (const metric of ['Errors', 'Throttles', 'Duration', 'ConcurrentExecutions']) {
        const count = body.split(`\\"AWS/Lambda\\",\\"${metric}\\"`).length - 1;
        expect(count, metric).toBe(functions.length);
      }
      expect(FUNCTION_ROLES).toEqual(expect.arrayContaining(functions.map(([role]) => role)));
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('reports no unacknowledged finding', () => {
      const report = new AwsSolutionsChecks().validateScope(s.app);
      expect(
        report.violations.map((v) => `${v.ruleName}: ${v.violatingResources[0]?.constructPath ?? ''}`),
      ).toEqual([]);
      expect(report.success).toBe(true);
    });

    it('leaves no CDK error or warning annotation (cdk-nag 3 reports through policy validation instead)', () => {
      for (const stack of [s.stateful, s.stateless]) {
        Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
        Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
      }
    });
  });
});

describe('Occasions infrastructure (other configurations)', () => {
  it('passes cdk-nag without WAF, with secrets referenced by name and delivered events switched on', () => {
    const s = synth({
      wafEnabled: 'false',
      webhookSecretName: 'occasions/webhook',
      adminApiKeySecretName: 'occasions/admin',
      publishDeliveredEvents: 'true',
    });
    expect(new AwsSolutionsChecks().validateScope(s.app).violations).toEqual([]);
    s.statelessTemplate.resourceCountIs('AWS::WAFv2::WebACL', 0);
    s.statefulTemplate.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const env = environmentOf(s, s.stateless.worker);
    expect(JSON.stringify(resolveImport(s.statefulTemplate, env.WEBHOOK_SECRET_ARN))).toContain(
      ':secret:occasions/webhook',
    );
    expect(env.PUBLISH_DELIVERED_EVENTS).toBe('true');
  });

  it('opens CORS to one console origin: unauthenticated preflights only, CORS headers on gateway errors', () => {
    const origin = 'https://console.example.com';
    const s = synth({ corsAllowOrigin: origin, runbookUrl: 'https://wiki.example.com/occasions/runbook' });
    const methods = resourcesOf(s.statelessTemplate, 'AWS::ApiGateway::Method').map(([, m]) => ({
      route: `${String(m.Properties.HttpMethod)} ${pathOf(s.statelessTemplate, m.Properties.ResourceId)}`,
      props: m.Properties,
    }));
    expect(methods.filter((m) => m.props.HttpMethod === 'OPTIONS').length).toBeGreaterThan(0);
    for (const { route, props } of methods) {
      const expected = PUBLIC_ROUTES.has(route) || route.startsWith('OPTIONS ') ? 'NONE' : 'CUSTOM';
      expect(props.AuthorizationType, route).toBe(expected);
      if (route.startsWith('OPTIONS ')) {
        expect(JSON.stringify(props.Integration)).toContain(`'${origin}'`);
        expect((props.Integration as { Type: string }).Type).toBe('MOCK');
      }
    }
    for (const [, response] of resourcesOf(s.statelessTemplate, 'AWS::ApiGateway::GatewayResponse')) {
      expect(response.Properties.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Access-Control-Allow-Origin': `'${origin}'`,
      });
    }
    expect(environmentOf(s, s.stateless.api).CORS_ALLOW_ORIGIN).toBe(origin);
    for (const alarm of alarmsOf(s).values()) {
      expect(alarm.AlarmDescription).toMatch(
        /Runbook: https:\/\/wiki\.example\.com\/occasions\/runbook#[a-z0-9]+$/,
      );
    }
    expect(() => loadConfig(new App({ context: { corsAllowOrigin: '*' } }).node)).toThrow(/one https origin/);
    expect(() =>
      loadConfig(new App({ context: { corsAllowOrigin: 'https://a.example.com/x' } }).node),
    ).toThrow(/one https origin/);
  });

  it('protects the table and stack in prod, and requires an https webhook URL', () => {
    const app = new App({ context: { env: 'prod' } });
    expect(() => loadConfig(app.node)).toThrow(/webhookUrl is required/);
    const bad = new App({ context: { env: 'prod', webhookUrl: 'http://example.com/hook' } });
    expect(() => loadConfig(bad.node)).toThrow(/https URL/);

    const s = synth({
      env: 'prod',
      webhookUrl: 'https://hooks.example.com/occasions',
      alarmEmail: 'oncall@example.com',
    });
    expect(s.stateful.terminationProtection).toBe(true);
    s.statefulTemplate.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    expect(environmentOf(s, s.stateless.worker)).toMatchObject({ LOG_LEVEL: 'INFO' });
    s.statefulTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: s.stateful.getLogicalId(s.stateful.alarmTopic.node.defaultChild as never) },
    });
    expect(
      [...alarmsOf(s).keys()].every((name) => /^Occasions-prod-(critical|warning)-\w+$/.test(name)),
    ).toBe(true);
  });
});
