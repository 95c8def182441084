import { z } from 'zod';
import { isoOf } from '#commons/clock';
import type { UserEventView } from '#use-cases/manage-user-events.use-case';
import {
  MAX_EXPORTED_NOTIFICATIONS,
  type ErasureSummary,
  type UserExport,
} from '#use-cases/user-privacy.use-case';
import { AuditEntrySchema } from './audit.schema';
import { PreferencesSchema, toPreferencesJson, toUserEventJson, UserEventSchema } from './event-model.schema';
import { NotificationDetailSchema, toAttemptJson, toNotificationJson } from './notification.schema';
import { toUserJson, UserSchema } from './user.schema';

/*
 * The privacy routes' answers: the export (everything stored about one user, as the other routes
 * show each part) and the erasure summary (ids and counts only).
 */

export const UserExportSchema = z
  .object({
    exportedAt: z.iso.datetime().meta({ description: 'When the export was read (UTC).' }),
    user: UserSchema,
    preferences: PreferencesSchema,
    events: z.array(UserEventSchema).meta({ description: 'The birthday first, then the other events.' }),
    notifications: z.array(NotificationDetailSchema).meta({
      description: `Every notification of the user with all its attempts, oldest due first; at most ${MAX_EXPORTED_NOTIFICATIONS}.`,
    }),
    notificationsTruncated: z.boolean().meta({
      description: `More than ${MAX_EXPORTED_NOTIFICATIONS} notifications exist; the oldest are here.`,
    }),
    audit: z.array(AuditEntrySchema).meta({
      description: `The audit entries about the user (the user, its preferences, events and notifications), oldest first; at most ${MAX_EXPORTED_NOTIFICATIONS}.`,
    }),
    auditTruncated: z.boolean(),
  })
  .strict()
  .meta({ description: 'Everything stored about one user (one JSON document).' });

export const ErasureSchema = z
  .object({
    userId: z.string(),
    erasedAt: z.iso.datetime(),
    userDeleted: z
      .boolean()
      .meta({ description: 'false on a repeat that only finished what an interrupted erase left.' }),
    events: z.int().min(0).meta({ description: 'Events deleted.' }),
    notifications: z.int().min(0).meta({ description: 'Notifications deleted.' }),
    attempts: z.int().min(0).meta({ description: 'Attempts deleted.' }),
    auditEntriesRedacted: z
      .int()
      .min(0)
      .meta({ description: 'Audit entries whose before/after were removed (ids, who and when stay).' }),
  })
  .strict()
  .meta({ description: 'What an erasure removed: ids and counts only.' });

export function toUserExportJson(data: UserExport, exportedAt: number): z.infer<typeof UserExportSchema> {
  const { user } = data;
  const birthday: UserEventView = {
    id: 'birthday',
    type: 'birthday',
    date: user.birthday,
    schedule: user.schedule,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    version: user.version,
  };
  return {
    exportedAt: isoOf(exportedAt),
    user: toUserJson(user),
    preferences: toPreferencesJson(user.preferences),
    events: [birthday, ...data.events].map(toUserEventJson),
    notifications: data.notifications.map(({ occurrence, attempts }) => ({
      ...toNotificationJson(occurrence),
      attempts: attempts.map(toAttemptJson),
    })),
    notificationsTruncated: data.notificationsTruncated,
    audit: data.audit,
    auditTruncated: data.auditTruncated,
  };
}

export const toErasureJson = (summary: ErasureSummary, erasedAt: number): z.infer<typeof ErasureSchema> => ({
  userId: summary.userId,
  erasedAt: isoOf(erasedAt),
  userDeleted: summary.userDeleted,
  events: summary.events,
  notifications: summary.notifications,
  attempts: summary.attempts,
  auditEntriesRedacted: summary.auditEntriesRedacted,
});
