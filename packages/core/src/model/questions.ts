/**
 * Actions that are questions: decide() asks for input it was not given, the
 * runtime answers and calls decide() again in the same cycle. They are never
 * executed.
 */
import type { Action } from './actions.js';

export type QuestionAction = Extract<Action, { readonly type: 'fetch-peer-status' | 'failsafe-check' | 'fetch-leader-history' }>;

const questionTypes: ReadonlySet<Action['type']> = new Set(['fetch-peer-status', 'failsafe-check', 'fetch-leader-history']);

export function isQuestion(action: Action): action is QuestionAction {
  return questionTypes.has(action.type);
}
