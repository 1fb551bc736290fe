/**
 * Imported first by the worker thread: it lowers this thread's CPU priority before the rest of the
 * worker's code runs. On Linux the nice value belongs to each thread (setpriority(2) on a thread
 * id, see its NOTES), so the lab's main thread, which answers every client, keeps its own: when
 * a worker simulating a huge scenario and the main thread both want the CPU, the main thread gets
 * most of it (CFS weights: nice 0 is 1024, nice 10 is 110). Elsewhere this does nothing.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';

/** how much nicer than the main thread a worker runs */
export const WORKER_NICE = 10;

function lower(): { tid?: number; nice?: number } {
  if (process.platform !== 'linux') return {};
  try {
    // /proc/thread-self -> <pid>/task/<tid>
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isSafeInteger(tid) || tid <= 0) return {};
    const want = (workerData as { nice?: number } | undefined)?.nice ?? WORKER_NICE;
    setPriority(tid, Math.min(19, getPriority(tid) + want));
    return { tid, nice: getPriority(tid) };
  } catch {
    return {};
  }
}

/** this worker thread's id and nice value, once lowered (undefined where the platform has neither) */
export const thread = lower();
