/**
 * SQS errors as the AWS JSON 1.0 protocol returns them. The SDK runs in "awsQueryCompatible"
 * mode: it takes the error code from the `x-amzn-query-error` header first and matches it against
 * each modelled error's `awsQueryError` trait, so the header code must be exactly the one in the
 * SDK's schema (node_modules/@aws-sdk/client-sqs/dist-es/schemas/schemas_0.js) for the SDK to
 * throw the right exception class.
 */

interface ErrorSpec {
  /** First half of `x-amzn-query-error` (the legacy query-protocol code). */
  queryCode: string;
  status: number;
  fault: 'Sender' | 'Receiver';
}

const sender = (queryCode: string, status = 400): ErrorSpec => ({ queryCode, status, fault: 'Sender' });

const ERRORS = {
  QueueDoesNotExist: sender('AWS.SimpleQueueService.NonExistentQueue'),
  QueueNameExists: sender('QueueAlreadyExists'),
  InvalidAttributeName: sender('InvalidAttributeName'),
  InvalidAttributeValue: sender('InvalidAttributeValue'),
  InvalidMessageContents: sender('InvalidMessageContents'),
  ReceiptHandleIsInvalid: sender('ReceiptHandleIsInvalid', 404),
  MessageNotInflight: sender('AWS.SimpleQueueService.MessageNotInflight'),
  EmptyBatchRequest: sender('AWS.SimpleQueueService.EmptyBatchRequest'),
  TooManyEntriesInBatchRequest: sender('AWS.SimpleQueueService.TooManyEntriesInBatchRequest'),
  BatchEntryIdsNotDistinct: sender('AWS.SimpleQueueService.BatchEntryIdsNotDistinct'),
  InvalidBatchEntryId: sender('AWS.SimpleQueueService.InvalidBatchEntryId'),
  BatchRequestTooLong: sender('AWS.SimpleQueueService.BatchRequestTooLong'),
  ResourceNotFoundException: sender('ResourceNotFoundException', 404),
  UnsupportedOperation: sender('AWS.SimpleQueueService.UnsupportedOperation'),
  // Common AWS errors the SQS model does not list; the SDK throws them as SQSServiceException
  // with `name` set to the code.
  InvalidParameterValue: sender('InvalidParameterValue'),
  MissingParameter: sender('MissingParameter'),
  SerializationException: sender('SerializationException'),
  InternalFailure: { queryCode: 'InternalFailure', status: 500, fault: 'Receiver' },
} satisfies Record<string, ErrorSpec>;

export type SqsErrorCode = keyof typeof ERRORS;

export class SqsError extends Error {
  constructor(
    readonly code: SqsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  /** Value of the `x-amzn-query-error` header. */
  get queryError(): string {
    const spec = ERRORS[this.code];
    return `${spec.queryCode};${spec.fault}`;
  }

  /** The JSON body: `__type` is the shape id, as AWS sends it. */
  toBody(): { __type: string; message: string } {
    return { __type: `com.amazonaws.sqs#${this.code}`, message: this.message };
  }
}

export const invalidParameter = (message: string): SqsError => new SqsError('InvalidParameterValue', message);
