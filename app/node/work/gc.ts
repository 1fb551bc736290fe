/**
 * A full garbage collection on demand. Arrays no longer used still count in
 * process.memoryUsage().arrayBuffers until the collector has run: the worker's memory guard collects
 * before it refuses an allocation (worker.ts), and the benches collect between timed runs.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export function fullGc(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}
