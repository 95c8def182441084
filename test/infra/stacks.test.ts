import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../../functions/adapters/dynamodb/table-definition';
import { MetricName } from '../../functions/commons/powertools';
import { loadConfig, VISIBILITY_TIMEOUT_FACTOR } from '../../lib/config';
import type { ServiceFunction } from '../../lib/constructs/service-function';
import { buildOccasions, type OccasionsStacks } from '../../lib/occasions-app';
import { StatelessStack } from '../../lib/stateless-stack';

// Infrastructure tier: exact assertions on the synthesized templates, plus cdk-nag. Bundling is
// skipped (no esbuild run) and so is CDK's built-in CloudFormation schema validation, which
// `npm run synth` still runs; both only cost time here.

interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}
interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
}
interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

interface Synthesized extends OccasionsStacks {
  readonly app: App;
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
  readonly stateful: OccasionsStacks['stateful'];
  readonly stateless: StatelessStack;
}

function synth(context: Record<string, unknown> = {}): Synthesized {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: false,
  });
  const stacks = buildOccasions(app, loadConfig(app.node));
  // The registered AwsSolutions plugin would fail Template.fromStack's synthesis anyway; say why.
  const findings = new AwsSolutionsChecks().validateScope(app).violations;
  if (findings.length > 0) {
    const lines = findings.map(
      (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    throw new Error(`unacknowledged cdk-nag findings:\n${lines.join('\n')}`);
  }
  return {
    app,
    ...stacks,
    statefulTemplate: Template.fromStack(stacks.stateful),
    statelessTemplate: Template.fromStack(stacks.stateless),
  };
}

const json = (template: Template) => template.toJSON() as CfnTemplate;
const resourcesOf = (template: Template, type: string) =>
  Object.entries(json(template).Resources).filter(([, resource]) => resource.Type === type);
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Follows a cross-stack `Fn::ImportValue` to the value the stateful stack exports. */
function resolveImport(stateful: Template, value: unknown): unknown {
  const name = (value as { 'Fn::ImportValue'?: unknown } | undefined)?.['Fn::ImportValue'];
  if (typeof name !== 'string') return value;
  const output = Object.values(json(stateful).Outputs ?? {}).find(
    (candidate) => candidate.Export?.Name === name,
  );
  if (output === undefined) throw new Error(`no export named ${name}`);
  return output.Value;
}

function logicalIdOf(fn: ServiceFunction): string {
  return fn.function.stack.getLogicalId(fn.function.node.defaultChild as CfnFunction);
}

function functionProps(s: Synthesized, fn: ServiceFunction): Record<string, unknown> {
  const resource = json(s.statelessTemplate).Resources[logicalIdOf(fn)];
  if (resource === undefined) throw new Error('function not in template');
  return resource.Properties;
}

function environmentOf(s: Synthesized, fn: ServiceFunction): Record<string, unknown> {
  return (functionProps(s, fn).Environment as { Variables: Record<string, unknown> }).Variables;
}

function statementsOf(template: Template): Statement[] {
  return resourcesOf(template, 'AWS::IAM::Policy').flatMap(
    ([, policy]) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

/** `/v1/{proxy+}` for a method, rebuilt from the ApiGateway::Resource parent chain. */
function pathOf(template: Template, resourceId: unknown): string {
  const ref = (resourceId as { Ref?: string }).Ref;
  if (ref === undefined) return '/';
  const resource = json(template).Resources[ref];
  if (resource === undefined) throw new Error(`unknown API resource ${ref}`);
  const parent = pathOf(template, resource.Properties.ParentId);
  return `${parent === '/' ? '' : parent}/${String(resource.Properties.PathPart)}`;
}

describe('Occasions infrastructure (env dev, defaults)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth();
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
      expect(source.Properties.MessageRetentionPeriod).toBe(4 * 24 * 3600);
      expect(dlq.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      for (const [, policy] of resourcesOf(s.statefulTemplate, 'AWS::SQS::QueuePolicy')) {
        expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
      }
      expect(resourcesOf(s.statefulTemplate, 'AWS::SQS::QueuePolicy')).toHaveLength(2);
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
    const expectedEnv = {
      scheduler: ['DUE_SHARDS', 'EVENT_BUS_NAME', 'QUEUE_URL', 'TABLE_NAME'],
      worker: [
        'DLQ_URL',
        'DUE_SHARDS',
        'EVENT_BUS_NAME',
        'QUEUE_URL',
        'TABLE_NAME',
        'WEBHOOK_SECRET_ARN',
        'WEBHOOK_URL',
      ],
      api: ['DUE_SHARDS', 'TABLE_NAME'],
      authorizer: ['ADMIN_API_KEY_SECRET_ARN'],
    } as const;
    const common = [
      'LOG_LEVEL',
      'NODE_OPTIONS',
      'POWERTOOLS_LOG_LEVEL',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
    ];

    it('run Node.js 24 on arm64 with active tracing and their own 30-day log group', () => {
      const functions = resourcesOf(s.statelessTemplate, 'AWS::Lambda::Function');
      expect(functions).toHaveLength(4);
      for (const [, fn] of functions) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          Handler: 'index.handler',
          LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/LogGroup/) as unknown } },
        });
        const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
        expect(json(s.statelessTemplate).Resources[logGroupId]!.Properties.RetentionInDays).toBe(30);
      }
    });

    it('receive exactly their environment: names and ARNs, never secret values', () => {
      for (const [name, keys] of Object.entries(expectedEnv)) {
        const env = environmentOf(s, s.stateless[name as keyof typeof expectedEnv]);
        expect(Object.keys(env).sort(), name).toEqual([...keys, ...common].sort());
        expect(env).toMatchObject({
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'occasions',
          POWERTOOLS_METRICS_NAMESPACE: 'Occasions',
          LOG_LEVEL: 'DEBUG',
        });
      }
      expect(environmentOf(s, s.stateless.worker)).toMatchObject({
        WEBHOOK_URL: 'https://example.com/occasions-webhook',
        DUE_SHARDS: '8',
      });
    });

    it('pass secrets only as the ARN of a Secrets Manager secret', () => {
      const secretIds = resourcesOf(s.statefulTemplate, 'AWS::SecretsManager::Secret').map(([id]) => id);
      for (const fn of [s.stateless.scheduler, s.stateless.worker, s.stateless.api, s.stateless.authorizer]) {
        for (const [key, value] of Object.entries(environmentOf(s, fn))) {
          if (/SECRET|KEY|TOKEN|PASSWORD/.test(key)) {
            expect(key).toMatch(/_SECRET_ARN$/);
            const resolved = resolveImport(s.statefulTemplate, value) as { Ref?: string };
            expect(secretIds).toContain(resolved.Ref);
          }
        }
      }
      for (const template of [s.statefulTemplate, s.statelessTemplate]) {
        expect(JSON.stringify(template.toJSON())).not.toContain('resolve:secretsmanager');
      }
    });

    it('grant no wildcard action on DynamoDB or SQS, no Scan, and "*" only to X-Ray', () => {
      for (const statement of [...statementsOf(s.statefulTemplate), ...statementsOf(s.statelessTemplate)]) {
        const actions = asArray(statement.Action);
        for (const action of actions) {
          if (/^(dynamodb|sqs):/.test(action)) expect(action).not.toContain('*');
          expect(action).not.toBe('dynamodb:Scan');
        }
        if (asArray(statement.Resource).includes('*')) {
          expect(actions.sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        }
      }
    });

    it('give each function only the grants it needs', () => {
      const policyOf = (fn: ServiceFunction) => {
        const policy = resourcesOf(s.statelessTemplate, 'AWS::IAM::Policy').find(([, p]) =>
          (p.Properties.Roles as { Ref: string }[]).some(
            (role) => role.Ref === fn.role.stack.getLogicalId(fn.role.node.defaultChild as never),
          ),
        );
        return asArray(
          (policy![1].Properties.PolicyDocument as { Statement: Statement[] }).Statement,
        ).flatMap((st) => asArray(st.Action));
      };
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
      const secret = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
      const uniq = (actions: string[]) => [...new Set(actions)].sort();
      expect(uniq(policyOf(s.stateless.scheduler))).toEqual(
        uniq([...base, ...table, ...send, 'events:PutEvents']),
      );
      expect(uniq(policyOf(s.stateless.api))).toEqual(uniq([...base, ...table]));
      expect(uniq(policyOf(s.stateless.authorizer))).toEqual(uniq([...base, ...secret]));
      expect(uniq(policyOf(s.stateless.worker))).toEqual(
        uniq([
          ...base,
          ...table,
          ...send,
          ...secret,
          'events:PutEvents',
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:ReceiveMessage',
        ]),
      );
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
      });
      const methods = resourcesOf(s.statelessTemplate, 'AWS::ApiGateway::Method').map(([, method]) => ({
        route: `${String(method.Properties.HttpMethod)} ${pathOf(s.statelessTemplate, method.Properties.ResourceId)}`,
        props: method.Properties,
      }));
      expect(methods.map((m) => m.route).sort()).toEqual(['ANY /v1/{proxy+}', 'GET /health']);
      for (const { route, props } of methods) {
        if (route === 'GET /health') {
          expect(props.AuthorizationType).toBe('NONE');
          expect(props.AuthorizerId).toBeUndefined();
        } else {
          expect(props.AuthorizationType, route).toBe('CUSTOM');
          expect(props.AuthorizerId, route).toEqual({ Ref: authorizerId });
          expect(props.RequestParameters, route).toEqual({ 'method.request.header.x-api-key': true });
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
      s.statelessTemplate.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiWebAcl'), 'Arn'] },
      });
    });
  });

  describe('monitoring', () => {
    it('alarms when the DLQ holds any message', () => {
      const dlqId = s.stateful.getLogicalId(s.stateful.deadLetterQueue.node.defaultChild as never);
      const dlqAlarms = resourcesOf(s.statelessTemplate, 'AWS::CloudWatch::Alarm').filter(([, alarm]) => {
        const dimensions = (alarm.Properties.Dimensions ?? []) as { Name: string; Value: unknown }[];
        return dimensions.some(
          (d) =>
            d.Name === 'QueueName' &&
            JSON.stringify(resolveImport(s.statefulTemplate, d.Value)) ===
              JSON.stringify({ 'Fn::GetAtt': [dlqId, 'QueueName'] }),
        );
      });
      expect(dlqAlarms.map(([, alarm]) => alarm.Properties)).toContainEqual(
        expect.objectContaining({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
        }),
      );
    });

    it('alarms when the scheduler stops running, treating missing data as breaching', () => {
      s.statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Invocations',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(s.stateless.scheduler) } }],
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        TreatMissingData: 'breaching',
      });
    });

    it('covers queue age, scheduler/worker errors, worker throttles and API 5xx', () => {
      const metrics = resourcesOf(s.statelessTemplate, 'AWS::CloudWatch::Alarm')
        .map(([, alarm]) => `${String(alarm.Properties.Namespace)}/${String(alarm.Properties.MetricName)}`)
        .sort();
      expect(metrics).toEqual(
        [
          'AWS/ApiGateway/5XXError',
          'AWS/Lambda/Errors',
          'AWS/Lambda/Errors',
          'AWS/Lambda/Invocations',
          'AWS/Lambda/Throttles',
          'AWS/SQS/ApproximateAgeOfOldestMessage',
          'AWS/SQS/ApproximateNumberOfMessagesVisible',
        ].sort(),
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

    it('charts every business metric the code emits on the on-call dashboard', () => {
      const [[, dashboard] = []] = resourcesOf(s.statelessTemplate, 'AWS::CloudWatch::Dashboard');
      expect(dashboard!.Properties.DashboardName).toBe('Occasions-on-call-dev');
      const body = JSON.stringify(dashboard!.Properties.DashboardBody);
      expect(body).toContain('# Occasions on-call');
      for (const name of Object.values(MetricName)) {
        expect(body, name).toContain(`Namespace=\\\\\\"Occasions\\\\\\" MetricName=\\\\\\"${name}\\\\\\"`);
      }
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
  it('passes cdk-nag without WAF and with secrets referenced by name', () => {
    const s = synth({
      wafEnabled: 'false',
      webhookSecretName: 'occasions/webhook',
      adminApiKeySecretName: 'occasions/admin',
    });
    expect(new AwsSolutionsChecks().validateScope(s.app).violations).toEqual([]);
    s.statelessTemplate.resourceCountIs('AWS::WAFv2::WebACL', 0);
    s.statefulTemplate.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const env = environmentOf(s, s.stateless.worker);
    expect(JSON.stringify(resolveImport(s.statefulTemplate, env.WEBHOOK_SECRET_ARN))).toContain(
      ':secret:occasions/webhook',
    );
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
  });
});
