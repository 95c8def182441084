import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools';

/**
 * The AWS SDK clients of a Lambda container: created once, traced, shared by every invocation
 * (STYLE 2). Adapters take them in their constructors; tests and the local runtime pass
 * clients pointed at the local stand-ins instead.
 */
let cached: { dynamo: DynamoDBDocumentClient; sqs: SQSClient; eventBridge: EventBridgeClient } | undefined;

export function awsClients(): NonNullable<typeof cached> {
  cached ??= {
    dynamo: DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    sqs: tracer.captureAWSv3Client(new SQSClient({})),
    eventBridge: tracer.captureAWSv3Client(new EventBridgeClient({})),
  };
  return cached;
}

/** Reads a secret string once per container; the value is never logged. */
export async function readSecret(secretArn: string): Promise<string> {
  const client = tracer.captureAWSv3Client(new SecretsManagerClient({}));
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!SecretString) throw new Error(`secret ${secretArn} has no string value`);
  return SecretString;
}
