/**
 * The part of Python's `sys` that the mmap module touches: audit hooks (PEP 578). A hook that
 * throws aborts the audited operation, as in Python.
 * @module pymmap/sys
 */

import { MSG } from './messages';

/** An audit hook: called with the event's name and arguments (`mmap.__new__`: fileno, length,
 *  access, offset). */
export type AuditHook = (event: string, args: unknown[]) => void;

const hooks: AuditHook[] = [];

/** sys.addaudithook(hook): hooks cannot be removed, as in Python. */
export function addaudithook(hook: AuditHook): void {
  if (typeof hook !== 'function') throw new TypeError(MSG.auditHookNotCallable);
  hooks.push(hook);
}

/** sys.audit(event, *args): calls every hook with (event, args). */
export function audit(event: string, ...args: unknown[]): void {
  for (let i = 0; i < hooks.length; i++) hooks[i](event, args);
}

/** True when any hook is installed (lets hot paths skip building argument arrays). */
export function auditing(): boolean {
  return hooks.length !== 0;
}
