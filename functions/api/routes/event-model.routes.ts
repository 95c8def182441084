import type { ManageEventTypes } from '#use-cases/manage-event-types.use-case';
import type { ManageUserEvents } from '#use-cases/manage-user-events.use-case';
import type { ManageUsers } from '#use-cases/manage-users.use-case';
import type { NotificationCommands } from '#use-cases/notification-commands.use-case';
import type { Route } from '../router';
import { eventTypeRoutes } from './event-types.routes';
import { notificationCommandRoutes } from './notification-commands.routes';
import { preferencesRoutes } from './preferences.routes';
import { userEventRoutes } from './user-events.routes';

/** What the event model's routes need (issue 3): types, users' events, preferences, commands. */
export interface EventModelDeps {
  eventTypes: ManageEventTypes;
  userEvents: ManageUserEvents;
  notificationCommands: NotificationCommands;
}

/** Every route of the event model. */
export function eventModelRoutes(deps: EventModelDeps, manageUsers: ManageUsers): Route[] {
  return [
    ...eventTypeRoutes(deps.eventTypes, deps.userEvents),
    ...userEventRoutes(deps.userEvents),
    ...preferencesRoutes(manageUsers),
    ...notificationCommandRoutes(deps.notificationCommands),
  ];
}
