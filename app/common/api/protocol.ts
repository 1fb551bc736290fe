/**
 * The LabApi wire protocol: one envelope for every transport (Electron IPC and the
 * `memlab serve` WebSocket). Plain TypeScript: no Node, Electron or DOM imports.
 *
 * A request   {v, id, method, params}  ->  a response {v, id, ok: true, result}
 *                                          or         {v, id, ok: false, error}
 * A pushed event {v, event, data} may arrive at any time.
 */
import { z } from 'zod';

export const API_VERSION = 1;

/** Largest message either side accepts, in bytes (JSON text). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export const ErrorCode = z.enum([
  'bad-json', // the message is not JSON
  'bad-envelope', // JSON, but not a request envelope
  'unsupported-version', // envelope version is not API_VERSION
  'unknown-method', // no such method
  'bad-params', // params fail the method's schema
  'bad-result', // the service answered something the contract does not allow (a bug)
  'too-large', // the message exceeds MAX_MESSAGE_BYTES
  'not-found', // a named thing (pack, exercise, process, scenario) does not exist
  'invalid-input', // user content (a pack, a scenario, an answer) is not valid
  'unavailable', // the feature cannot work here (e.g. no /proc)
  'forbidden', // the request is refused (e.g. path escapes a pack)
  'internal', // anything else
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** Where an error comes from, as precisely as known: file, line, column, field. */
export const ErrorWhere = z.object({
  file: z.string().optional(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
  field: z.string().optional(),
});
export type ErrorWhere = z.infer<typeof ErrorWhere>;

export const ApiErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  where: ErrorWhere.optional(),
  /** Zod issues or other structured detail, for display in author mode. */
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

export const RequestEnvelope = z.object({
  v: z.literal(API_VERSION),
  id: z.number().int().nonnegative(),
  method: z.string().min(1).max(100),
  params: z.unknown().optional(),
});
export type RequestEnvelope = z.infer<typeof RequestEnvelope>;

export const ResponseEnvelope = z.union([
  z.object({ v: z.literal(API_VERSION), id: z.number().int().nullable(), ok: z.literal(true), result: z.unknown() }),
  z.object({ v: z.literal(API_VERSION), id: z.number().int().nullable(), ok: z.literal(false), error: ApiErrorBody }),
]);
export type ResponseEnvelope = z.infer<typeof ResponseEnvelope>;

export const EventEnvelope = z.object({
  v: z.literal(API_VERSION),
  event: z.string(),
  data: z.unknown(),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** An error a service throws on purpose; it crosses the wire with its code and where. */
export class ApiError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly where?: ErrorWhere,
    public readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
  toBody(): ApiErrorBody {
    const body: ApiErrorBody = { code: this.code, message: this.message };
    if (this.where) body.where = this.where;
    if (this.issues) body.issues = this.issues;
    return body;
  }
  static fromBody(body: ApiErrorBody): ApiError {
    return new ApiError(body.code, body.message, body.where, body.issues);
  }
}

/** Zod issues as short `path: message` pairs. */
export function zodIssues(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

export interface MethodSpec<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  params: P;
  result: R;
  /** One line for the API reference. */
  doc: string;
}

export function method<P extends z.ZodType, R extends z.ZodType>(params: P, result: R, doc: string): MethodSpec<P, R> {
  return { params, result, doc };
}
