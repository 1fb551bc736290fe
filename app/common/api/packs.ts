/** LabApi: packs, exercises, guided labs and progress (issues 6 and 7). */
import type { MethodSpec } from './protocol.js';
import type { z } from 'zod';

export const packMethods = {} satisfies Record<string, MethodSpec>;
export const packEvents = {} satisfies Record<string, z.ZodType>;
