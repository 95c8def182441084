import type { Command } from '../command';
import { circuitsList, circuitsReset, circuitsShow } from './circuits';
import { dlqDelete, dlqList, dlqRedrive } from './dlq';
import { notificationsList, notificationsShow } from './notifications';
import { replayList, replayShow, replayStart } from './replay';
import { usersImport } from './users-import';

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  usersImport,
  notificationsList,
  notificationsShow,
  dlqList,
  dlqRedrive,
  dlqDelete,
  replayStart,
  replayShow,
  replayList,
  circuitsList,
  circuitsShow,
  circuitsReset,
];
