import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parseNotificationMessage } from '#adapters/sqs/sqs-notification-queue';
import { claim, plannedOccurrence, type Occurrence } from '#domain/occurrence';
import type { NotificationMessage } from '#ports/notification-queue';
import type { OccurrenceRepository } from '#ports/occurrence-repository';

/** Every message visible on the queue now, taken off it (received and deleted) and parsed. */
export async function takeMessages(sqs: SQSClient, queueUrl: string): Promise<NotificationMessage[]> {
  const taken: NotificationMessage[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return taken;
    for (const raw of Messages) {
      const message = parseNotificationMessage(raw.Body ?? '');
      if (!message) throw new Error(`not a notification message: ${raw.Body}`);
      taken.push(message);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: raw.ReceiptHandle }));
    }
  }
}

/**
 * The worker's first write for each planned message (ADR 0010), without the re-check or a POST:
 * the same domain calls (plannedOccurrence, claim) and the repository's conditional create, for
 * tests of what follows a pass (a retry, a delivery, a lost message) that need the occurrence
 * stored. A second plan of the same occurrence loses the create, as it does in the worker.
 * @returns the occurrences this call created, `sending` under a lease of `leaseMs`
 */
export async function claimPlans(
  messages: readonly NotificationMessage[],
  occurrences: Pick<OccurrenceRepository, 'save'>,
  now: number,
  leaseMs = 40_000,
): Promise<Occurrence[]> {
  const created: Occurrence[] = [];
  for (const message of messages) {
    if (!message.plan) continue;
    const claimed = claim(plannedOccurrence(message, message.plan), 'test-worker', now, leaseMs);
    if (await occurrences.save(claimed)) created.push(claimed);
  }
  return created;
}
