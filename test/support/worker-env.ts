/** The least environment the worker's configuration accepts, for tests of one more variable. */
export const WORKER_ENV = {
  TABLE_NAME: 't',
  DUE_SHARDS: '8',
  QUEUE_URL: 'q',
  DLQ_URL: 'd',
  EVENT_BUS_NAME: 'b',
  WEBHOOK_URL: 'https://hooks.example.com/',
  WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:current',
} as const;
