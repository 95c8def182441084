import type { BulkUsers } from '#use-cases/bulk-users.use-case';
import type { ControlCircuits } from '#use-cases/control-circuits.use-case';
import type { ManageDeadLetters } from '#use-cases/manage-dead-letters.use-case';
import type { ViewNotifications } from '#use-cases/notification-log.use-case';
import type { Route } from '../router';
import { circuitRoutes } from './circuits.routes';
import { dlqRoutes } from './dlq.routes';
import { notificationRoutes } from './notifications.routes';
import { usersBulkRoutes } from './users-bulk.routes';

/** The operators' use cases (issue 4): notification log, DLQ, circuit control, bulk users. */
export interface OperationsDeps {
  notifications: ViewNotifications;
  deadLetters: ManageDeadLetters;
  circuits: ControlCircuits;
  bulkUsers: BulkUsers;
}

export function operationsRoutes(deps: OperationsDeps): Route[] {
  return [
    ...usersBulkRoutes(deps.bulkUsers),
    ...notificationRoutes(deps.notifications),
    ...dlqRoutes(deps.deadLetters),
    ...circuitRoutes(deps.circuits),
  ];
}
