/**
 * exit, after kernel/exit.c (do_exit → exit_mm → exit_mmap): every mapping unmapped, every page
 * table freed; the task's lifecycle chart records how it ended.
 */
import type { Kernel, Task, TaskState } from './kernel.js';
import { unmapVma } from './mmap.js';

export function exitTask(k: Kernel, t: Task, state: Exclude<TaskState, 'running'>): void {
  for (const v of [...t.mm.vmas]) unmapVma(k, v);
  t.allocations.clear();
  t.lifecycle.send({ type: state === 'killed:oom' ? 'OOM_KILL' : state === 'killed:sigsegv' ? 'SIGSEGV' : 'EXIT' });
}
