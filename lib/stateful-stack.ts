import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';
import { tableDefinition } from '../functions/adapters/dynamodb/table-definition';
import { TABLE_KEYS } from '../functions/adapters/dynamodb/table-layout';
import { DEFAULT_WORKER_TIMEOUT, VISIBILITY_TIMEOUT_FACTOR } from './config';
import { acknowledge } from './nag';

export interface StatefulStackProps extends StackProps {
  /** Short environment name, used in resource names (`occasions-<env>` bus). */
  readonly envName: string;
  /** DynamoDB deletion protection. @default true */
  readonly deletionProtection?: boolean;
  /** Applied to the table, queues, secrets, KMS key and event archive. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Receives of a notification before SQS moves it to the DLQ. @default 5 */
  readonly maxReceiveCount?: number;
  /**
   * Timeout of the worker that consumes the notifications queue; the queue's visibility timeout
   * is {@link VISIBILITY_TIMEOUT_FACTOR} times this. @default DEFAULT_WORKER_TIMEOUT (30 s)
   */
  readonly workerTimeout?: Duration;
  /** Existing secret names to use instead of creating the secrets. @default - created here */
  readonly webhookSecretName?: string;
  readonly adminApiKeySecretName?: string;
  /** E-mail address subscribed to the alarm topic. @default - no subscription */
  readonly alarmEmail?: string;
}

/**
 * Source queue keeps messages 7 days: a scheduler's plan (ADR 0010) is only its message until a
 * worker claims it, so a worker stopped for a week loses nothing. Its DLQ keeps them longer (SQS
 * counts a moved message's age from its first enqueue), so nothing expires before triage.
 */
const QUEUE_RETENTION = Duration.days(7);
const DLQ_RETENTION = Duration.days(14);
const ARCHIVE_RETENTION = Duration.days(30);

/**
 * Everything that holds data and must outlive a redeploy of the functions: the single table, the
 * notifications queue and its DLQ, the domain-event bus with its archive, the alarm topic and the
 * secrets (their generated values are state: replacing them would break every receiver).
 *
 * @example
 * const stateful = new StatefulStack(app, 'Occasions-dev-Stateful', { envName: 'dev' });
 * new StatelessStack(app, 'Occasions-dev-Stateless', { stateful, ... });
 */
export class StatefulStack extends Stack {
  public readonly table: dynamodb.Table;
  public readonly notificationsQueue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  /** Visibility timeout given to the notifications queue (≥ 6 × worker timeout). */
  public readonly notificationsVisibilityTimeout: Duration;
  public readonly eventBus: events.EventBus;
  public readonly eventArchive: events.Archive;
  public readonly alarmTopic: sns.Topic;
  public readonly alarmTopicKey: kms.Key;
  public readonly webhookSecret: secretsmanager.ISecret;
  public readonly adminApiKeySecret: secretsmanager.ISecret;

  public constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new Error(`maxReceiveCount must be an integer in 1..1000, got ${maxReceiveCount}`);
    }
    const workerTimeout = props.workerTimeout ?? DEFAULT_WORKER_TIMEOUT;
    this.notificationsVisibilityTimeout = Duration.seconds(
      workerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR,
    );
    if (this.notificationsVisibilityTimeout.toSeconds() > Duration.hours(12).toSeconds()) {
      throw new Error(
        'worker timeout too long: the queue visibility timeout would exceed the 12 h SQS maximum',
      );
    }

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy,
    });
    // The indexes exactly as the local runtime creates them (one definition, no drift): the
    // sharded, year-less slot (due) index (DESIGN core idea 1, ADR 0009), the list index, and the
    // keys-only watch, log and user-occurrence indexes over occurrences. A deployed table takes
    // one index creation or deletion per update: a stack deployed with `due-index` moves to
    // `slot-index` in two deployments and a backfill (ADR 0009, "Existing data"), not this one.
    for (const index of tableDefinition('Occasions').GlobalSecondaryIndexes ?? []) {
      this.table.addGlobalSecondaryIndex(globalSecondaryIndexProps(index));
    }

    // SSE-SQS rather than a CMK: no per-message KMS calls or key-policy coupling with Lambda.
    this.deadLetterQueue = new sqs.Queue(this, 'NotificationsDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DLQ_RETENTION,
      removalPolicy,
    });
    this.notificationsQueue = new sqs.Queue(this, 'NotificationsQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: QUEUE_RETENTION,
      visibilityTimeout: this.notificationsVisibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
      removalPolicy,
    });

    this.eventBus = new events.EventBus(this, 'EventBus', {
      eventBusName: `occasions-${props.envName}`,
      description: 'Occasions domain events (delivered, failed, circuit opened…)',
    });
    this.eventArchive = this.eventBus.archive('EventArchive', {
      description: 'Every Occasions domain event, replayable for 30 days',
      eventPattern: { account: [this.account] },
      retention: ARCHIVE_RETENTION,
    });
    this.eventArchive.applyRemovalPolicy(removalPolicy);

    // CloudWatch alarms can only publish to an encrypted topic whose key lets the CloudWatch
    // service principal use it, which rules out the AWS-managed aws/sns key: hence a CMK.
    this.alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: `Occasions ${props.envName}: encrypts the alarm topic`,
      enableKeyRotation: true,
      removalPolicy,
    });
    this.alarmTopicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // As AWS documents it: no condition. CloudWatch must still pass the topic policy below.
        resources: ['*'],
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Occasions ${props.envName} alarms`,
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    // A topic policy (enforceSSL creates one) replaces SNS's default owner-only policy, so the
    // CloudWatch service must be allowed to publish explicitly, and only for this account's alarms.
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': this.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );

    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    this.webhookSecret =
      props.webhookSecretName === undefined
        ? new secretsmanager.Secret(this, 'WebhookSigningSecret', {
            description:
              'Occasions: webhook signing secret (base64, 48 chars = 36 random bytes, no whsec_ prefix)',
            // Alphanumeric only, length a multiple of 4: a valid unpadded base64 string.
            generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
            removalPolicy,
          })
        : secretsmanager.Secret.fromSecretNameV2(this, 'WebhookSigningSecret', props.webhookSecretName);
    this.adminApiKeySecret =
      props.adminApiKeySecretName === undefined
        ? new secretsmanager.Secret(this, 'AdminApiKeySecret', {
            description: 'Occasions: bootstrap admin API key (compared with the x-api-key header)',
            generateSecretString: { passwordLength: 40, excludePunctuation: true, includeSpace: false },
            removalPolicy,
          })
        : secretsmanager.Secret.fromSecretNameV2(this, 'AdminApiKeySecret', props.adminApiKeySecretName);
    for (const secret of [this.webhookSecret, this.adminApiKeySecret]) {
      if (secret instanceof secretsmanager.Secret) {
        acknowledge(secret, 'AwsSolutions-SMG4', ROTATION_REASON);
      }
    }

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'NotificationsQueueUrl', { value: this.notificationsQueue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'WebhookSecretArn', { value: this.webhookSecret.secretArn });
    new CfnOutput(this, 'AdminApiKeySecretArn', { value: this.adminApiKeySecret.secretArn });
  }
}

const ROTATION_REASON =
  'Rotation needs a custom rotation Lambda coordinated with consumers (receivers must accept old and ' +
  'new webhook signatures during the overlap; admin clients must switch keys). Until it exists, ' +
  'rotation is a documented manual runbook step (docs/deploy.md).';

/** CDK props of a GSI from its CreateTable form; only the key types and projections we use. */
function globalSecondaryIndexProps(index: GlobalSecondaryIndex): dynamodb.GlobalSecondaryIndexProps {
  const typeOf = (name: string | undefined): dynamodb.AttributeType => {
    const declared = tableDefinition('Occasions').AttributeDefinitions?.find((a) => a.AttributeName === name);
    return declared?.AttributeType === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING;
  };
  const key = (keyType: 'HASH' | 'RANGE') => {
    const name = index.KeySchema?.find((element) => element.KeyType === keyType)?.AttributeName;
    return name === undefined ? undefined : { name, type: typeOf(name) };
  };
  const partitionKey = key('HASH');
  if (!index.IndexName || !partitionKey) throw new Error('every index needs a name and a partition key');
  const sortKey = key('RANGE');
  return {
    indexName: index.IndexName,
    partitionKey,
    ...(sortKey ? { sortKey } : {}),
    projectionType:
      index.Projection?.ProjectionType === 'KEYS_ONLY'
        ? dynamodb.ProjectionType.KEYS_ONLY
        : dynamodb.ProjectionType.ALL,
  };
}
