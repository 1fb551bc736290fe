/**
 * The statechart's layout: every transition of the kernel machine is drawn as an arrow with its
 * event or guard, no two states overlap, every arrow is routed, and the layout never changes
 * from one run to the next.
 */
import { describe, expect, it } from 'vitest';
import { ChartLayoutSchema } from '../../app/common/api/sim.js';
import { basisPath, layoutChart, type StateNodeLike, transitionLabel, transitionsOf } from '../../app/common/kernel/chart_layout.js';
import { guardName, kernelMachine } from '../../app/common/kernel/machine.js';

const root = kernelMachine.root as unknown as StateNodeLike;
const regions = Object.values(root.states ?? {});
const layout = layoutChart();

/** every (source, target, label) the machine defines, straight from xstate's state nodes */
const machineTransitions = regions.flatMap((r) =>
  Object.values(r.states ?? {}).flatMap((s) =>
    (s.always ?? [])
      .map((t) => ({ from: s.id, targets: (t.target ?? []).map((x) => x.id), label: guardName(t.guard) ?? '[else]' }))
      .concat(
        [...((s.transitions as Map<string, Array<{ eventType: string; target?: Array<{ id: string }> }>>) ?? new Map()).values()]
          .flat()
          .map((t) => ({ from: s.id, targets: (t.target ?? []).map((x) => x.id), label: t.eventType })),
      ),
  ),
);
const short = (id: string) => id.replace(/^kernel\./, '');

describe('chart layout', () => {
  it('has one region per parallel region of the machine, each with all its states', () => {
    expect(layout.regions.map((r) => r.key)).toEqual(['cpu', 'kswapd']);
    for (const r of regions) {
      const laid = layout.regions.find((l) => l.key === r.key)!;
      expect(laid.nodes.map((n) => n.id)).toEqual(Object.values(r.states ?? {}).map((s) => short(s.id)));
    }
  });

  it('draws every transition that changes state as an edge labelled with its event or guard', () => {
    const targeted = machineTransitions.filter((t) => t.targets.length > 0);
    // running -ACCESS-> pageFault, the eventless ones out of pageFault (7), swapIn (6), directReclaim (8), oomKill (3), and kswapd's two
    expect(targeted.length).toBe(27);
    const edges = layout.regions.flatMap((r) => r.edges);
    expect(edges).toHaveLength(targeted.length);
    for (const t of targeted) {
      for (const to of t.targets) {
        const match = edges.filter((e) => e.from === short(t.from) && e.to === short(to) && e.label === t.label);
        expect(match, `${t.from} -${t.label}-> ${to}`).toHaveLength(1);
      }
    }
    // the ones named in the brief, literally
    const has = (from: string, to: string, label: string) => edges.some((e) => e.from === from && e.to === to && e.label === label);
    expect(has('cpu.running', 'cpu.pageFault', 'ACCESS')).toBe(true);
    expect(has('cpu.pageFault', 'cpu.pageFault', 'crossedLow && in kswapd.balancing')).toBe(true);
    expect(has('cpu.pageFault', 'cpu.swapIn', 'nextPageInSwap')).toBe(true);
    expect(has('cpu.swapIn', 'cpu.directReclaim', 'belowMinWatermark')).toBe(true);
    expect(has('cpu.directReclaim', 'cpu.directReclaim', 'noProgress && reclaimMayRetry')).toBe(true);
    expect(has('cpu.directReclaim', 'cpu.oomKill', 'noProgress')).toBe(true);
    expect(has('kswapd.asleep', 'kswapd.balancing', 'freeBelowLow')).toBe(true);
    expect(has('kswapd.balancing', 'kswapd.asleep', 'freeAboveHigh')).toBe(true);
  });

  it('writes targetless transitions (TICK, SYSCTL) inside their state instead of as arrows', () => {
    const running = layout.regions[0]!.nodes.find((n) => n.id === 'cpu.running')!;
    expect(running.internal).toEqual(['TICK', 'SYSCTL']);
    const balancing = layout.regions[1]!.nodes.find((n) => n.id === 'kswapd.balancing')!;
    expect(balancing.internal).toEqual(['TICK']);
    expect(machineTransitions.filter((t) => t.targets.length === 0).map((t) => `${short(t.from)} ${t.label}`)).toEqual(['cpu.running TICK', 'cpu.running SYSCTL', 'kswapd.balancing TICK']);
  });

  it('marks each region’s initial state, with the UML initial dot routed into it', () => {
    for (const r of layout.regions) {
      const initial = r.nodes.filter((n) => n.initial);
      expect(initial.map((n) => n.id)).toEqual([r.key === 'cpu' ? 'cpu.running' : 'kswapd.asleep']);
      expect(r.initial!.points.length).toBeGreaterThanOrEqual(2);
      const n = initial[0]!;
      const last = r.initial!.points.at(-1)!;
      expect(Math.abs(last.y - (n.y - n.height / 2))).toBeLessThan(1.5); // arrives at the state's top
    }
  });

  it('places no two states (or the initial dot) over each other, and keeps everything inside the region', () => {
    for (const r of layout.regions) {
      const boxes = r.nodes.map((n) => ({ id: n.id, x0: n.x - n.width / 2, x1: n.x + n.width / 2, y0: n.y - n.height / 2, y1: n.y + n.height / 2 }));
      if (r.initial) boxes.push({ id: 'initial', x0: r.initial.x - r.initial.r, x1: r.initial.x + r.initial.r, y0: r.initial.y - r.initial.r, y1: r.initial.y + r.initial.r });
      for (let i = 0; i < boxes.length; i++) {
        const a = boxes[i]!;
        expect(a.x0).toBeGreaterThanOrEqual(0);
        expect(a.y0).toBeGreaterThanOrEqual(0);
        expect(a.x1).toBeLessThanOrEqual(r.width);
        expect(a.y1).toBeLessThanOrEqual(r.height);
        for (let j = i + 1; j < boxes.length; j++) {
          const b = boxes[j]!;
          const overlap = a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
          expect(overlap, `${a.id} overlaps ${b.id}`).toBe(false);
        }
      }
    }
  });

  it('routes every edge through at least two points, from its source’s border to its target’s, with a path and its label inside the region', () => {
    for (const r of layout.regions) {
      const byId = new Map(r.nodes.map((n) => [n.id, n]));
      for (const e of r.edges) {
        expect(e.points.length, e.id).toBeGreaterThanOrEqual(2);
        expect(e.d).toMatch(/^M[\d.]+,[\d.]+[LC]/);
        for (const p of e.points) {
          expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
        }
        const near = (p: { x: number; y: number }, id: string) => {
          const n = byId.get(id)!;
          const dx = Math.abs(p.x - n.x) - n.width / 2;
          const dy = Math.abs(p.y - n.y) - n.height / 2;
          return dx <= 1.5 && dy <= 1.5 && (Math.abs(dx) <= 1.5 || Math.abs(dy) <= 1.5);
        };
        expect(near(e.points[0]!, e.from), `${e.id} starts on ${e.from}`).toBe(true);
        expect(near(e.points.at(-1)!, e.to), `${e.id} ends on ${e.to}`).toBe(true);
        expect(e.labelX).toBeGreaterThan(0);
        expect(e.labelX).toBeLessThan(r.width);
        expect(e.labelY).toBeGreaterThan(0);
        expect(e.labelY).toBeLessThan(r.height);
      }
    }
  });

  it('is deterministic: two runs give identical output, and it matches the API schema', () => {
    expect(JSON.stringify(layoutChart())).toBe(JSON.stringify(layout));
    expect(ChartLayoutSchema.parse(layout)).toEqual(layout);
  });

  it('labels transitions as the statechart reads them', () => {
    expect(transitionLabel({ event: 'ACCESS' })).toBe('ACCESS');
    expect(transitionLabel({ event: 'always', guard: 'nextPageInSwap' })).toBe('nextPageInSwap');
    expect(transitionLabel({ event: 'always' })).toBe('[else]');
    expect(transitionLabel({ event: 'KICK', guard: 'ready' })).toBe('KICK [ready]');
    expect(transitionsOf((root.states!.cpu!.states!.running as StateNodeLike)).map((t) => t.event)).toEqual(['ACCESS', 'TICK', 'SYSCTL']);
  });

  it('draws a two-point route as a line and longer ones as a B-spline ending on the last point', () => {
    expect(basisPath([{ x: 0, y: 0 }, { x: 10, y: 5 }])).toBe('M0,0L10,5');
    const d = basisPath([{ x: 0, y: 0 }, { x: 6, y: 6 }, { x: 12, y: 0 }]);
    expect(d.startsWith('M0,0L1,1C')).toBe(true);
    expect(d.endsWith('L12,0')).toBe(true);
  });
});

describe('describeChart', () => {
  it('exports event transitions (xstate keeps them in a Map) as well as eventless ones', async () => {
    const { describeChart } = await import('../../app/common/kernel/machine.js');
    const running = describeChart().children.find((c) => c.key === 'cpu')!.children.find((c) => c.key === 'running')!;
    expect(running.transitions).toContainEqual({ event: 'ACCESS', target: ['kernel.cpu.pageFault'], guard: undefined });
    expect(running.transitions.map((t) => t.event)).toContain('TICK');
  });
});

describe('process lifecycle layout', () => {
  it('draws every transition of the task machine and marks its final states', async () => {
    const { processChartLayout } = await import('../../app/common/kernel/chart_layout.js');
    const [r] = processChartLayout().regions;
    expect(r!.key).toBe('process');
    expect(r!.nodes.filter((n) => n.final).map((n) => n.key).sort()).toEqual(['exited', 'killedOom', 'killedSigsegv']);
    expect(r!.nodes.find((n) => n.initial)?.key).toBe('running');
    // no `blocked`: a task's wait for swap-in or file I/O is inside one step, never a state it rests in
    expect(r!.edges.map((e) => `${e.from}>${e.to}:${e.label}`).sort()).toEqual([
      'process.running>process.exited:EXIT',
      'process.running>process.killedOom:OOM_KILL',
      'process.running>process.killedSigsegv:SIGSEGV',
    ]);
  });
});
