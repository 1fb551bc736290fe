/** LabApi: the Linux host panel (issue 8). */
import type { MethodSpec } from './protocol.js';
import type { z } from 'zod';

export const hostMethods = {} satisfies Record<string, MethodSpec>;
export const hostEvents = {} satisfies Record<string, z.ZodType>;
