/** The kernel simulator's public face: parse a scenario, run it whole or step by step. */
export { parseScenario, describeStep, ScenarioError, STEP_VERBS, LIMITS, type Scenario, type Step } from './scenario.js';
export { simulate, Runner, VERBS, type VerbHandlers, type SimReport, type Snapshot, type SyscallRecord, type SimOptions, DEFAULT_PAGE_BUDGET, DEFAULT_WORK_BUDGET, DEFAULT_MEMORY_BUDGET, MAX_SNAPSHOT_BYTES, MAX_TASKS } from './simulate.js';
export { kernelMachine, processMachine, describeChart, chartState, type ChartNode } from './machine.js';
export { STATUS_FIELDS, type ProcStatus, type Meminfo, type TopRow, type PmapRow, procStatus, meminfo, vmstat, topRows, pmap } from './proc.js';
export { VMSTAT_KEYS } from './kernel.js';
export { parseSize, formatBytes } from './units.js';
