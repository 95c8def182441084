import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag finding on a construct and everything under it (cdk-nag 3 reads
 * acknowledgements from the construct and its ancestors). Findings that carry a detail are
 * acknowledged one by one, e.g. `AwsSolutions-IAM5[Resource::*]`; the reason must say why the
 * finding is acceptable here, for the reviewer who reads it next year.
 *
 * @example
 * acknowledge(healthMethod, 'AwsSolutions-APIG4', 'Unauthenticated liveness probe; returns no data.');
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (!/^AwsSolutions-[A-Z0-9]+(\[.+\])?$/.test(id)) {
    throw new Error(`not a cdk-nag AwsSolutions rule id: ${id}`);
  }
  if (reason.trim().length < 20) {
    throw new Error(`acknowledgement of ${id} needs a specific reason`);
  }
  Validations.of(scope).acknowledge({ id, reason });
}
