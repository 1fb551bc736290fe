/** Page replacement over a reference string: OSTEP's policies exactly, the textbook clock, LFU, and Linux's two lists. */
export * from './engine.js';
export { PyRandom, parseSeed } from './random.js';
export { scenarioReferences, type ScenarioRefs } from './scenario_refs.js';
