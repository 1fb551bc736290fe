/** LabApi: the kernel simulator (owned by the simulator work, issue 5 / UI issue 3). */
import type { MethodSpec } from './protocol.js';
import type { z } from 'zod';

export const simMethods = {} satisfies Record<string, MethodSpec>;
export const simEvents = {} satisfies Record<string, z.ZodType>;
