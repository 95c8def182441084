import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '#commons/clock';
import {
  dynamoClients,
  ensureTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startEmbeddedDynamo,
} from '#local/embedded-dynamodb';
import { startEventBridgeRecorder } from '#local/eventbridge-recorder';
import { startSqsServer } from '#local/sqs/sqs-server';

export const BENCH_TABLE = 'occasions';

export interface LocalAws {
  dynamoEndpoint: string;
  raw: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  sqs: SQSClient;
  queueUrl: string;
  eventBridge: EventBridgeClient;
  stop(): Promise<void>;
}

/**
 * The local stand-ins the runtime uses (dynalite, the repo's SQS server, the EventBridge
 * recorder), started in this process for benches that drive a use case directly.
 */
export async function startLocalAws(options: { clock: Clock; dynamoPath?: string }): Promise<LocalAws> {
  const dynamo = await startEmbeddedDynamo(options.dynamoPath ? { path: options.dynamoPath } : {});
  const { raw, doc } = dynamoClients(dynamo.endpoint);
  await ensureTable(raw, BENCH_TABLE);
  const sqsServer = await startSqsServer({ clock: options.clock });
  const sqs = new SQSClient({
    endpoint: sqsServer.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-notifications' }));
  if (!QueueUrl) throw new Error('the local SQS server returned no queue URL');
  const recorder = await startEventBridgeRecorder({ clock: options.clock });
  const eventBridge = new EventBridgeClient({
    endpoint: recorder.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  return {
    dynamoEndpoint: dynamo.endpoint,
    raw,
    doc,
    sqs,
    queueUrl: QueueUrl,
    eventBridge,
    stop: async () => {
      eventBridge.destroy();
      sqs.destroy();
      raw.destroy();
      await recorder.stop();
      await sqsServer.stop();
      await dynamo.stop();
    },
  };
}
