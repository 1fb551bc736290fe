/**
 * Compile-time test (run by `tsc -p tsconfig.json`, which `npm test` runs): the verb table must
 * have a handler for every verb of the scenario schema. If a verb is added to scenario.ts without
 * one in simulate.ts's VERBS, VERBS itself stops compiling; and a table that leaves a verb out is
 * refused here (the @ts-expect-error below fails the build if the compiler ever accepts it).
 */
import type { VerbHandlers } from '../../app/common/kernel/simulate.js';
import { VERBS } from '../../app/common/kernel/simulate.js';

const { tick: _left, ...withoutTick } = VERBS;

// @ts-expect-error a table without a handler for `tick` is not a VerbHandlers
export const incomplete: VerbHandlers = withoutTick;

export const complete: VerbHandlers = { ...withoutTick, tick: VERBS.tick };
