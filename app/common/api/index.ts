/**
 * The LabApi contract: every method and event the renderer may use, with their schemas.
 * Domains keep their own file; this one joins them. The renderer imports only this folder.
 */
import type { z } from 'zod';
import { coreEvents, coreMethods } from './core.js';
import { hostEvents, hostMethods } from './host.js';
import { packEvents, packMethods } from './packs.js';
import { realEvents, realMethods } from './real.js';
import { policyEvents, policyMethods } from './policy.js';
import { simEvents, simMethods } from './sim.js';

export * from './protocol.js';
export * from './core.js';

export const methods = { ...coreMethods, ...simMethods, ...packMethods, ...hostMethods, ...realMethods, ...policyMethods };
export const events = { ...coreEvents, ...simEvents, ...packEvents, ...hostEvents, ...realEvents, ...policyEvents };

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Params<M extends MethodName> = z.input<Methods[M]['params']>;
export type ParsedParams<M extends MethodName> = z.output<Methods[M]['params']>;
export type Result<M extends MethodName> = z.output<Methods[M]['result']>;
export type ResultInput<M extends MethodName> = z.input<Methods[M]['result']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventData<E extends EventName> = z.output<Events[E]>;

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}
export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(events, name);
}

/** What the renderer talks to. Implemented by the preload bridge and by the socket client. */
export interface LabApi {
  readonly transport: 'ipc' | 'socket';
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  /** Subscribe to a pushed event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, handler: (data: EventData<E>) => void): () => void;
  /** Connection state changes (socket reconnects; IPC is always 'open'). */
  onStatus(handler: (status: 'connecting' | 'open' | 'closed') => void): () => void;
}
