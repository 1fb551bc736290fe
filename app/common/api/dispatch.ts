/**
 * The server side of the LabApi boundary, shared by the Electron IPC handler and the
 * `memlab serve` WebSocket: validate the envelope, the method and its params, call the
 * handler, validate its result, and always answer with a typed envelope.
 */
import { type z } from 'zod';
import {
  type EventData,
  type EventName,
  events,
  isMethodName,
  type MethodName,
  methods,
  type ParsedParams,
  type ResultInput,
} from './index.js';
import {
  API_VERSION,
  ApiError,
  type ApiErrorBody,
  type EventEnvelope,
  MAX_MESSAGE_BYTES,
  RequestEnvelope,
  type ResponseEnvelope,
  zodIssues,
} from './protocol.js';

export interface CallContext {
  /** Stable per connection (socket) or per window (IPC). */
  readonly clientId: string;
  /** Push an event to this client. */
  emit<E extends EventName>(event: E, data: EventData<E>): void;
  /** Called when the client goes away; services release per-client state here. */
  onClose(cleanup: () => void): void;
}

export type Handler<M extends MethodName> = (
  params: ParsedParams<M>,
  ctx: CallContext,
) => ResultInput<M> | Promise<ResultInput<M>>;

export type Handlers = { [M in MethodName]: Handler<M> };
/** A domain's share of the handlers, e.g. `DomainHandlers<typeof simMethods>`. */
export type DomainHandlers<D extends Record<string, unknown>> = { [M in keyof D & MethodName]: Handler<M> };

export interface DispatchLog {
  (entry: { level: 'warn' | 'error'; clientId: string; code: string; message: string; method?: string }): void;
}

function failure(id: number | null, error: ApiErrorBody): ResponseEnvelope {
  return { v: API_VERSION, id, ok: false, error };
}

function idOf(raw: unknown): number | null {
  if (raw && typeof raw === 'object' && 'id' in raw) {
    const id = (raw as { id: unknown }).id;
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  }
  return null;
}

export interface Dispatcher {
  /** Handle a message that arrived as text (WebSocket). */
  handleText(text: string, ctx: CallContext): Promise<ResponseEnvelope>;
  /** Handle a message that arrived as a structured-clone value (IPC). */
  handle(raw: unknown, ctx: CallContext): Promise<ResponseEnvelope>;
}

export function createDispatcher(handlers: Handlers, log: DispatchLog): Dispatcher {
  async function handle(raw: unknown, ctx: CallContext): Promise<ResponseEnvelope> {
    const id = idOf(raw);
    const env = RequestEnvelope.safeParse(raw);
    if (!env.success) {
      const versionOff =
        raw && typeof raw === 'object' && 'v' in raw && (raw as { v: unknown }).v !== API_VERSION;
      const body: ApiErrorBody = versionOff
        ? { code: 'unsupported-version', message: `this lab speaks LabApi version ${API_VERSION}` }
        : { code: 'bad-envelope', message: 'not a LabApi request envelope', issues: zodIssues(env.error) };
      log({ level: 'warn', clientId: ctx.clientId, code: body.code, message: body.message });
      return failure(id, body);
    }
    const { method: name, params } = env.data;
    if (!isMethodName(name)) {
      log({ level: 'warn', clientId: ctx.clientId, code: 'unknown-method', message: name, method: name });
      return failure(id, { code: 'unknown-method', message: `no LabApi method named '${name}'` });
    }
    const spec = methods[name];
    const parsed = (spec.params as z.ZodType).safeParse(params ?? {});
    if (!parsed.success) {
      const issues = zodIssues(parsed.error);
      log({ level: 'warn', clientId: ctx.clientId, code: 'bad-params', message: JSON.stringify(issues), method: name });
      return failure(id, {
        code: 'bad-params',
        message: `bad params for ${name}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        issues,
      });
    }
    let result: unknown;
    try {
      const handler = handlers[name] as (p: unknown, c: CallContext) => unknown;
      result = await handler(parsed.data, ctx);
    } catch (err) {
      if (err instanceof ApiError) {
        log({ level: 'warn', clientId: ctx.clientId, code: err.code, message: err.message, method: name });
        return failure(env.data.id, err.toBody());
      }
      const message = err instanceof Error ? err.message : String(err);
      log({ level: 'error', clientId: ctx.clientId, code: 'internal', message, method: name });
      return failure(env.data.id, { code: 'internal', message: `${name} failed: ${message}` });
    }
    const checked = (spec.result as z.ZodType).safeParse(result);
    if (!checked.success) {
      const issues = zodIssues(checked.error);
      log({ level: 'error', clientId: ctx.clientId, code: 'bad-result', message: JSON.stringify(issues), method: name });
      return failure(env.data.id, { code: 'bad-result', message: `${name} answered outside its contract`, issues });
    }
    return { v: API_VERSION, id: env.data.id, ok: true, result: checked.data };
  }

  return {
    handle,
    async handleText(text, ctx) {
      if (text.length > MAX_MESSAGE_BYTES) {
        log({ level: 'warn', clientId: ctx.clientId, code: 'too-large', message: `${text.length} bytes` });
        return failure(null, { code: 'too-large', message: `message larger than ${MAX_MESSAGE_BYTES} bytes` });
      }
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        log({ level: 'warn', clientId: ctx.clientId, code: 'bad-json', message });
        return failure(null, { code: 'bad-json', message: `message is not JSON: ${message}` });
      }
      return handle(raw, ctx);
    },
  };
}

/** Build a validated event envelope (throws on a contract violation: a bug in the service). */
export function eventEnvelope<E extends EventName>(event: E, data: EventData<E>): EventEnvelope {
  const schema = events[event] as z.ZodType;
  return { v: API_VERSION, event, data: schema.parse(data) };
}
