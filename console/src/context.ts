import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from './api/client';
import type { Role } from './api/types';

export type NoticeTone = 'info' | 'success' | 'error';

/** What every view needs: the API as the signed-in key, its role, and the status line. */
export interface ConsoleContextValue {
  api: ApiClient;
  role: Role;
  /** Shows a message in the status line and reads it out (errors assertively). */
  announce: (text: string, tone?: NoticeTone) => void;
  /** Reports an action's failure: 401 signs out (the key no longer works), the rest is announced. */
  fail: (error: unknown, what: string) => void;
}

export const ConsoleContext = createContext<ConsoleContextValue | undefined>(undefined);

export function useConsole(): ConsoleContextValue {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error('useConsole outside <ConsoleContext.Provider>');
  return value;
}

/** Whether the signed-in key may write; viewers see write buttons disabled, with the reason. */
export const canWrite = (role: Role): boolean => role === 'admin';
