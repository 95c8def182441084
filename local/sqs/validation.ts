import { invalidParameter, SqsError } from './errors';
import type { Input } from './input';
import type { AttributeMap, RedrivePolicy, StoredAttributeValue } from './model';

/** Limits from the SQS API Reference (CreateQueue, SendMessage, ReceiveMessage, quotas). */
export const LIMITS = {
  maxDelaySeconds: 900,
  maxVisibilityTimeout: 43_200,
  maxWaitTimeSeconds: 20,
  maxMessagesPerReceive: 10,
  maxBatchEntries: 10,
  maxMessageAttributes: 10,
  maxMessageSize: 1_048_576,
  maxBatchPayload: 1_048_576,
  maxReceiveCount: 1000,
} as const;

/** Characters SQS accepts in a body (SendMessage: #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF). */
const INVALID_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
export const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
export const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

export function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(
      `Value ${value} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}.`,
    );
  }
}

export function checkBody(body: string): void {
  if (body.length === 0)
    throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
  if (INVALID_CHARACTER.test(body)) {
    throw new SqsError(
      'InvalidMessageContents',
      'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
    );
  }
}

/** Parses and checks MessageAttributes (or, with `system`, MessageSystemAttributes). */
export function parseMessageAttributes(
  raw: Record<string, Input> | undefined,
  system = false,
): AttributeMap | undefined {
  if (!raw) return undefined;
  const names = Object.keys(raw);
  if (names.length === 0) return undefined;
  if (names.length > LIMITS.maxMessageAttributes) {
    throw invalidParameter(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${LIMITS.maxMessageAttributes}].`,
    );
  }
  const result: AttributeMap = {};
  for (const name of names) {
    const input = raw[name] as Input;
    if (system) {
      if (name !== 'AWSTraceHeader')
        throw invalidParameter(`Message system attribute name '${name}' is invalid.`);
    } else {
      checkAttributeName(name);
    }
    result[name] = parseAttributeValue(name, input);
  }
  return result;
}

function checkAttributeName(name: string): void {
  const lower = name.toLowerCase();
  if (
    !ATTRIBUTE_NAME.test(name) ||
    lower.startsWith('aws.') ||
    lower.startsWith('amazon.') ||
    name.startsWith('.') ||
    name.endsWith('.') ||
    name.includes('..')
  ) {
    throw invalidParameter(`Message attribute name '${name}' is invalid.`);
  }
}

function parseAttributeValue(name: string, input: Input): StoredAttributeValue {
  const dataType = input.optionalString('DataType');
  if (!dataType)
    throw invalidParameter(`The message attribute '${name}' must contain a non-empty attribute type.`);
  const match = DATA_TYPE.exec(dataType);
  if (!match || dataType.length > 256) {
    throw invalidParameter(
      `The type of message attribute '${name}' is invalid. Must be String, Number or Binary.`,
    );
  }
  if (input.has('StringListValues') || input.has('BinaryListValues')) {
    throw invalidParameter(`Message attribute list values in '${name}' are not supported.`);
  }
  if (match[1] === 'Binary') {
    const value = input.optionalString('BinaryValue');
    if (!value) throw invalidParameter(`The message attribute '${name}' must contain a non-empty value.`);
    return { DataType: dataType, BinaryValue: value };
  }
  const value = input.optionalString('StringValue');
  if (!value) throw invalidParameter(`The message attribute '${name}' must contain a non-empty value.`);
  if (INVALID_CHARACTER.test(value))
    throw invalidParameter(`The message attribute '${name}' has invalid characters.`);
  if (match[1] === 'Number' && !NUMBER.test(value)) {
    throw invalidParameter(`Can't cast the value of message attribute '${name}' to a number.`);
  }
  return { DataType: dataType, StringValue: value };
}

/** Size SQS counts against MaximumMessageSize: body plus every attribute's name, type and value. */
export function messageSize(body: string, attributes: AttributeMap | undefined): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes ?? {})) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType, 'utf8');
    size +=
      value.BinaryValue !== undefined
        ? Buffer.from(value.BinaryValue, 'base64').length
        : Buffer.byteLength(value.StringValue ?? '', 'utf8');
  }
  return size;
}

/** Default values of a new standard queue (CreateQueue in the API Reference). */
export const DEFAULT_QUEUE_ATTRIBUTES: Readonly<Record<string, string>> = {
  DelaySeconds: '0',
  MaximumMessageSize: String(LIMITS.maxMessageSize),
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};

const INTEGER_ATTRIBUTES: Readonly<Record<string, readonly [number, number]>> = {
  DelaySeconds: [0, LIMITS.maxDelaySeconds],
  MaximumMessageSize: [1024, LIMITS.maxMessageSize],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, LIMITS.maxWaitTimeSeconds],
  VisibilityTimeout: [0, LIMITS.maxVisibilityTimeout],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
};

/** Stored as given; this server does not enforce policies or encrypt. */
const OPAQUE_ATTRIBUTES = new Set(['Policy', 'RedriveAllowPolicy', 'KmsMasterKeyId']);

/** Attributes GetQueueAttributes computes rather than stores. */
export const COMPUTED_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

export const READABLE_ATTRIBUTES = new Set<string>([
  ...Object.keys(INTEGER_ATTRIBUTES),
  ...OPAQUE_ATTRIBUTES,
  'RedrivePolicy',
  'SqsManagedSseEnabled',
  ...COMPUTED_ATTRIBUTES,
]);

/**
 * Validates CreateQueue / SetQueueAttributes attributes and returns them in canonical form
 * (so that CreateQueue's "same attributes" comparison and GetQueueAttributes see one spelling).
 * An empty RedrivePolicy in SetQueueAttributes means "remove it" and is returned as ''.
 */
export function canonicalQueueAttributes(raw: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const range = INTEGER_ATTRIBUTES[name];
    if (range) {
      const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      if (!(number >= range[0] && number <= range[1])) {
        throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
      }
      result[name] = String(number);
    } else if (name === 'RedrivePolicy') {
      result[name] = value === '' ? '' : JSON.stringify(parseRedrivePolicy(value));
    } else if (name === 'SqsManagedSseEnabled') {
      if (value !== 'true' && value !== 'false') {
        throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
      }
      result[name] = value;
    } else if (OPAQUE_ATTRIBUTES.has(name)) {
      result[name] = value;
    } else if (name === 'FifoQueue') {
      // FIFO queues are not part of this service; a standard queue may say so explicitly.
      if (value !== 'false') {
        throw new SqsError('InvalidAttributeValue', 'FIFO queues are not supported by the local SQS server.');
      }
    } else {
      throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
  }
  return result;
}

/** RedrivePolicy JSON; maxReceiveCount may be a number or a numeric string (CloudFormation writes strings). */
export function parseRedrivePolicy(text: string): RedrivePolicy {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SqsError(
      'InvalidAttributeValue',
      'Invalid value for the parameter RedrivePolicy. Reason: not JSON.',
    );
  }
  const policy = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const arn = policy.deadLetterTargetArn;
  const count =
    typeof policy.maxReceiveCount === 'string' ? Number(policy.maxReceiveCount) : policy.maxReceiveCount;
  if (typeof arn !== 'string' || !arn.startsWith('arn:')) {
    throw new SqsError(
      'InvalidAttributeValue',
      'Value for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain a valid deadLetterTargetArn.',
    );
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > LIMITS.maxReceiveCount) {
    throw new SqsError(
      'InvalidAttributeValue',
      `Value for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: ${String(policy.maxReceiveCount)}, valid values are from 1 to ${LIMITS.maxReceiveCount} both inclusive.`,
    );
  }
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
}
