/**
 * The client side of the LabApi boundary, transport-agnostic: both renderer transports
 * (preload IPC and WebSocket) and the tests build on it. It validates every response and
 * event against the contract before handing it to the view.
 */
import type { z } from 'zod';
import {
  type EventData,
  type EventName,
  events,
  isEventName,
  type LabApi,
  type MethodName,
  methods,
  type Params,
  type Result,
} from './index.js';
import { API_VERSION, ApiError, EventEnvelope, type RequestEnvelope, ResponseEnvelope } from './protocol.js';

type Status = 'connecting' | 'open' | 'closed';

export interface RpcTransport {
  /** Send one request; a response arrives later through `receive`. */
  send(request: RequestEnvelope): void;
}

export class RpcClient implements LabApi {
  private nextId = 1;
  private readonly pending = new Map<number, { method: MethodName; resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private readonly listeners = new Map<string, Set<(data: unknown) => void>>();
  private readonly statusListeners = new Set<(s: Status) => void>();
  private status: Status = 'connecting';

  constructor(
    readonly transport: 'ipc' | 'socket',
    private readonly link: RpcTransport,
    private readonly warn: (message: string) => void = () => {},
  ) {}

  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
      try {
        this.link.send({ v: API_VERSION, id, method, params });
      } catch (err) {
        this.pending.delete(id);
        reject(err);
      }
    });
  }

  on<E extends EventName>(event: E, handler: (data: EventData<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(handler as (data: unknown) => void);
    return () => set.delete(handler as (data: unknown) => void);
  }

  onStatus(handler: (status: Status) => void): () => void {
    this.statusListeners.add(handler);
    handler(this.status);
    return () => this.statusListeners.delete(handler);
  }

  setStatus(status: Status): void {
    this.status = status;
    for (const h of this.statusListeners) h(status);
    if (status === 'closed') {
      for (const p of this.pending.values()) p.reject(new ApiError('unavailable', 'the lab connection closed'));
      this.pending.clear();
    }
  }

  /** A notice from the transport itself (reconnected, refused), delivered like the lab's own app.notice. */
  notify(text: string, level: 'info' | 'warning' | 'error' = 'info'): void {
    for (const h of this.listeners.get('app.notice') ?? []) h({ level, text });
  }

  /** Feed one incoming message (response or event) from the transport. */
  receive(raw: unknown): void {
    const asEvent = EventEnvelope.safeParse(raw);
    if (asEvent.success) {
      const { event, data } = asEvent.data;
      if (!isEventName(event)) return this.warn(`unknown event '${event}' ignored`);
      const checked = (events[event] as z.ZodType).safeParse(data);
      if (!checked.success) return this.warn(`event '${event}' outside its contract ignored`);
      for (const h of this.listeners.get(event) ?? []) h(checked.data);
      return;
    }
    const res = ResponseEnvelope.safeParse(raw);
    if (!res.success) return this.warn('a message that is neither response nor event was ignored');
    const env = res.data;
    if (env.id === null) {
      // an error the server could not attach to a request (bad JSON and the like)
      if (!env.ok) this.warn(`server: ${env.error.code}: ${env.error.message}`);
      return;
    }
    const p = this.pending.get(env.id);
    if (!p) return this.warn(`response to unknown request ${env.id}`);
    this.pending.delete(env.id);
    if (!env.ok) return p.reject(ApiError.fromBody(env.error));
    const checked = (methods[p.method].result as z.ZodType).safeParse(env.result);
    if (!checked.success) return p.reject(new ApiError('bad-result', `${p.method} answered outside its contract`));
    p.resolve(checked.data);
  }
}
