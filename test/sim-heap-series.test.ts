/**
 * The heap chart follows a process's life: once the OOM killer has killed it, its heap is gone
 * (exit_mmap frees the whole address space), so its series is 0 from that step on, not its last value.
 */
import { describe, expect, it } from 'vitest';
import { labServices } from './lab-services.js';

interface Loaded { sessionId: string; stepCount: number }
interface View { step: number; processes: Array<{ name: string; state: string }>; series: { heap: Record<string, number[]>; rss: Record<string, number[]> } }

describe('the heap series of a killed process', () => {
  it('drops to 0 at the OOM kill, as its RSS does', async () => {
    const { call } = labServices('heapseries-');
    const l = await call<Loaded>('sim.load', { scenarioId: 'oom-killer' });
    const v = await call<View>('sim.seek', { sessionId: l.sessionId, step: l.stepCount });
    const victim = v.processes.find((p) => p.state === 'killed:oom');
    expect(victim, JSON.stringify(v.processes)).toBeDefined();
    const heap = v.series.heap[victim!.name]!;
    const rss = v.series.rss[victim!.name]!;
    const killedAt = rss.findIndex((x, i) => i > 0 && x === 0 && rss[i - 1]! > 0);
    expect(killedAt).toBeGreaterThan(0);
    expect(Math.max(...heap.slice(0, killedAt))).toBeGreaterThan(0);
    expect(heap.slice(killedAt)).toEqual(heap.slice(killedAt).map(() => 0));
  });
});
