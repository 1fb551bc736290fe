/**
 * The simulator behind the LabApi: built-in scenarios from exercises/scenarios, per-client
 * sessions that seek to any step (forward by running on, backward from the nearest checkpoint at
 * or before it: the simulator is deterministic), and views built from the data plane at that step.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { CallContext, DomainHandlers } from '../../common/api/dispatch.js';
import { ApiError } from '../../common/api/protocol.js';
import { LOG_STREAMS, LOG_TAIL, type LogStream, packScenarioId, type ScenarioInfo, type ScenarioSource, type simMethods, type SimView } from '../../common/api/sim.js';
import { kernelChartLayout, processChartLayout } from '../../common/kernel/chart_layout.js';
import { Checkpoints, DEFAULT_CHECKPOINTS } from '../../common/kernel/checkpoint.js';
import { stepFields } from '../../common/kernel/scenario.js';
import { editSteps, readSteps, StepEditError } from '../../common/kernel/scenario_edit.js';
import { formatFault } from '../../common/kernel/trace.js';
import { describeChart, describeStep, parseScenario, pmap, procStatus, Runner, type Scenario, ScenarioError, topRows } from '../../common/kernel/index.js';
import { anonFrameMm } from '../../common/kernel/rmap.js';
import { FrameKind, PG } from '../../common/kernel/page_alloc.js';
import { machineTableBytes } from '../../common/kernel/kernel.js';
import { PROGRESS_DEFAULTS } from '../work/limits.js';
import type { ServiceDeps } from './index.js';

const MAX_CELLS = 65536;
/** the frame grid's classes (SimView.frames.cells): free, anon, cache, dirty cache, shmem, kernel, locked, anon shared */
const FRAME_CLASSES = 8;
/** a frame's class in the grid: what it holds, and for anonymous memory whether several page tables map it (mapcount > 1, as after fork) */
function frameClass(kind: number, flags: number, mapcount: number): number {
  if (flags & PG.Mlocked) return 6;
  if (kind === FrameKind.Anon) return mapcount > 1 ? 7 : 1;
  if (kind === FrameKind.File) return flags & PG.Dirty ? 3 : 2;
  if (kind === FrameKind.Shmem) return 4;
  if (kind === FrameKind.Kernel) return 5;
  return 0;
}
const MAX_SESSIONS_PER_CLIENT = 8;

interface Series {
  memFree: number[];
  rss: Record<string, number[]>;
  swap: Record<string, number[]>;
  heap: Record<string, number[]>;
  vmstat: Record<string, number[]>;
}

interface Session {
  id: string;
  client: string;
  scenario: Scenario;
  runner: Runner;
  series: Series;
  visited: string[][];
  /** statechart states active after each step */
  active: string[][];
  /** the run saved every few steps (bounded), so a seek back restores the nearest instead of re-running from step 0 */
  checkpoints: Checkpoints;
  /** when the learner last used it (a count of calls): the least recently used session gives up its checkpoints first */
  usedAt: number;
  error?: { step: number; message: string };
}

function toScenarioError(err: unknown, file?: string): never {
  if (err instanceof ScenarioError) {
    throw new ApiError('invalid-input', err.describe(), { file: err.where.file ?? file, line: err.where.line, column: err.where.column, field: err.where.field });
  }
  throw err;
}

export function builtinScenarioDir(appRoot: string): string {
  return join(appRoot, 'exercises', 'scenarios');
}

/** Scenario files inside the open packs (the packs service provides them). */
export interface PackScenarios {
  list(): Promise<Array<{ packId: string; packTitle: string; path: string; text: string }>>;
  /** the file's text and a name for messages; throws ApiError not-found */
  read(packId: string, path: string): Promise<{ text: string; file: string }>;
}

export function createSimHandlers(deps: ServiceDeps, packScenarios?: PackScenarios): DomainHandlers<typeof simMethods> {
  const dir = builtinScenarioDir(deps.appRoot);
  const sessions = new Map<string, Session>();
  let calls = 0;
  /**
   * What all sessions' checkpoints may hold together. In a worker, its typed-array budget is shared
   * with the live machines: checkpoints get what those leave, less a quarter kept free for the next
   * machine a learner opens (a session's checkpoints of a big machine could once fill the whole
   * budget, and the learner's next seek was refused for memory). Elsewhere, the default cap.
   */
  const checkpointRoom = (): number => {
    if (deps.arrayBytes === undefined) return DEFAULT_CHECKPOINTS.maxBytes;
    let live = 0;
    for (const x of sessions.values()) live += x.runner.k.memoryBytes();
    return Math.max(0, (deps.arrayBytes * 3) / 4 - live);
  };
  /**
   * Over the room (less `reserve`, bytes about to be taken): the least recently used other sessions
   * drop theirs (a seek there re-runs from step 0), then `keep` thins its own.
   */
  const shareCheckpoints = (keep: Session | null, reserve = 0) => {
    const room = checkpointRoom() - reserve;
    let total = 0;
    for (const x of sessions.values()) total += x.checkpoints.bytes;
    const others = [...sessions.values()].filter((x) => x !== keep && x.checkpoints.count > 0).sort((a, b) => a.usedAt - b.usedAt);
    for (const x of others) {
      if (total <= room) break;
      total -= x.checkpoints.bytes;
      x.checkpoints.clear();
    }
    if (keep && total > room) keep.checkpoints.thin(keep.checkpoints.bytes - (total - room));
  };
  /** about what a scenario's machine holds once booted (its frame table and swap map) */
  const bootBytes = (sc: Scenario): number => machineTableBytes(sc.machine.ram / sc.machine.page_size, Math.floor(sc.machine.swap / sc.machine.page_size));
  /** a scenario's title and description, by its text: listing does not parse every file every time */
  const infoCache = new Map<string, ScenarioInfo>();

  const builtin = (id: string): { text: string; file: string } => {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new ApiError('not-found', `no built-in scenario '${id}'`);
    const file = join(dir, `${id}.yaml`);
    try {
      return { text: readFileSync(file, 'utf8'), file: `exercises/scenarios/${id}.yaml` };
    } catch {
      throw new ApiError('not-found', `no built-in scenario '${id}'`, { field: 'scenarioId' });
    }
  };

  const sourceOf = async (src: ScenarioSource): Promise<{ text: string; file: string }> => {
    if ('scenarioId' in src) return builtin(src.scenarioId);
    if ('packId' in src) {
      if (!packScenarios) throw new ApiError('not-found', 'no packs are open here', { field: 'packId' });
      return packScenarios.read(src.packId, src.scenario);
    }
    return { text: src.text, file: src.fileName ?? 'scenario.yaml' };
  };
  const parse = async (src: ScenarioSource): Promise<Scenario> => parseText(await sourceOf(src));
  const parseText = ({ text, file }: { text: string; file: string }, params?: ScenarioSource['params']): Scenario => {
    try {
      return parseScenario(text, file, params ? { params } : {});
    } catch (err) {
      return toScenarioError(err, file);
    }
  };

  const record = (s: Session) => {
    const r = s.runner;
    const k = r.k;
    const pos = r.pos;
    if (s.series.memFree.length > pos) return;
    s.series.memFree[pos] = (k.frames.free * k.pageSize) / 1024;
    for (const t of k.tasks) {
      (s.series.rss[t.name] ??= [])[pos] = (t.mm.rss * k.pageSize) / 1024;
      (s.series.swap[t.name] ??= [])[pos] = (t.mm.swapEnts * k.pageSize) / 1024;
      // a dead process's heap went with its address space (exit_mmap): 0, not the arena's last count
      const h = t.alive ? t.arena.inUseBytes() : { heap: 0, mmapped: 0 };
      (s.series.heap[t.name] ??= [])[pos] = (h.heap + h.mmapped) / 1024;
    }
    for (const key of ['pgfault', 'pgmajfault', 'pswpin', 'pswpout', 'pgscan_kswapd', 'pgscan_direct', 'oom_kill'] as const) (s.series.vmstat[key] ??= [])[pos] = k.vmstat[key];
    s.visited[pos] = [...r.run.visited];
    s.active[pos] = r.activeStates();
  };

  const progressAfter = deps.progress?.afterMs ?? PROGRESS_DEFAULTS.afterMs;
  const progressEvery = deps.progress?.everyMs ?? PROGRESS_DEFAULTS.everyMs;
  /**
   * The pause between a long step's slices: once the seek has run progressAfter ms, it tells the
   * client that asked how far the running step is (sim.progress), at most every progressEvery ms,
   * then lets the event loop breathe.
   */
  const pauser = (s: Session, target: number, ctx: CallContext) => {
    const started = performance.now();
    let last = -Infinity;
    return () => {
      const now = performance.now();
      if (now - started >= progressAfter && now - last >= progressEvery) {
        last = now;
        const r = s.runner;
        ctx.emit('sim.progress', { sessionId: s.id, step: r.pos + 1, of: s.scenario.steps.length, target, done: r.progress.done, total: Math.max(r.progress.done, r.progress.total), unit: 'pages', elapsedMs: Math.round(now - started) });
      }
      return new Promise<void>((res) => setImmediate(res));
    };
  };

  const advanceTo = async (s: Session, step: number, ctx: CallContext) => {
    const pause = pauser(s, step, ctx);
    // back (or far ahead): start from the nearest checkpoint at or before the step, never from step 0 again
    const cp = s.checkpoints.nearest(step);
    if (step < s.runner.pos || (cp && cp.pos > s.runner.pos)) {
      // for a moment the old machine and its restored copy are both alive: room for the copy first
      shareCheckpoints(s, s.runner.k.memoryBytes());
      s.runner = cp ? new Runner(s.scenario, {}, cp) : new Runner(s.scenario);
    }
    while (s.runner.pos < step && !s.runner.done) {
      try {
        // long steps pause between slices: the main process never stalls on a big touch
        await s.runner.stepAsync(pause);
      } catch (err) {
        if (err instanceof ScenarioError) {
          s.error = { step: s.runner.pos + 1, message: err.describe() };
          break;
        }
        throw err;
      }
      record(s);
      if (s.checkpoints.due(s.runner.pos) && !s.runner.done) {
        s.checkpoints.add(s.runner.checkpoint());
        shareCheckpoints(s);
      }
      // never hold the main process for long: let other clients and timers run between steps
      await new Promise((r) => setImmediate(r));
    }
  };

  /** the runner stands at the view's step, so everything its report and trace hold is up to that step */
  const logTotal = (r: Runner, stream: LogStream): number =>
    stream === 'dmesg' ? r.report.log.length : stream === 'strace' ? r.report.syscalls.length : r.k.trace.length;
  const logLines = (r: Runner, stream: LogStream, from: number, count: number): string[] => {
    const to = Math.min(logTotal(r, stream), from + count);
    const out: string[] = [];
    for (let i = from; i < to; i++) {
      if (stream === 'dmesg') out.push(`[step ${r.report.log[i]!.step}] ${r.report.log[i]!.text}`);
      else if (stream === 'strace') {
        const c = r.report.syscalls[i]!;
        out.push(`[step ${c.step}] ${c.proc}: ${c.text}`);
      } else out.push(formatFault(r.k.trace.entry(i)));
    }
    return out;
  };

  const view = (s: Session, wantMaps?: string[]): SimView => {
    const r = s.runner;
    const k = r.k;
    const fr = k.frames;
    const total = fr.total;
    const per = Math.max(1, Math.ceil(total / MAX_CELLS));
    const ncells = Math.ceil(total / per);
    const cells = new Uint8Array(ncells);
    const owners = new Int32Array(ncells).fill(-1);
    // an anonymous frame belongs to the process whose page table maps it, found by the kernel's
    // rmap (parent and child share one anon_vma after fork: a child's COW copy is the child's)
    const taskOfMm = new Map(k.tasks.map((t) => [t.mm, t.pid]));
    const cellCounts = new Uint32Array(FRAME_CLASSES);
    /** every frame by class, exactly (the legend counts frames, not cells) */
    const frameCounts = new Array<number>(FRAME_CLASSES).fill(0);
    for (let c = 0; c < ncells; c++) {
      cellCounts.fill(0);
      const end = Math.min(total, (c + 1) * per);
      let owner = -1;
      for (let f = c * per; f < end; f++) {
        const code = frameClass(fr.kind[f]!, fr.flags[f]!, fr.mapcount[f]!);
        cellCounts[code]!++;
        if (owner === -1 && fr.kind[f] === FrameKind.Anon) {
          const mm = anonFrameMm(k, f);
          if (mm) owner = taskOfMm.get(mm) ?? -1;
        }
      }
      let best = 0;
      for (let i = 1; i < FRAME_CLASSES; i++) {
        if (cellCounts[i]! > cellCounts[best]!) best = i;
        frameCounts[i]! += cellCounts[i]!;
      }
      frameCounts[0]! += cellCounts[0]!;
      cells[c] = best;
      owners[c] = owner;
    }
    const b64 = (a: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
    // owners come in long runs (a process's frames are allocated together): send them as runs
    const runs = (a: Int32Array): Array<[number, number]> => {
      const out: Array<[number, number]> = [];
      for (let i = 0; i < a.length; ) {
        let j = i + 1;
        while (j < a.length && a[j] === a[i]) j++;
        out.push([a[i]!, j - i]);
        i = j;
      }
      return out;
    };
    const pos = r.pos;
    const slice = <T>(a: T[]) => a.slice(0, pos + 1);
    const status: SimView['status'] = {};
    const maps: SimView['maps'] = {};
    for (const t of k.tasks) {
      status[t.name] = { ...procStatus(k, t) } as unknown as Record<string, number | string>;
      if (t.alive && (!wantMaps || wantMaps.includes(t.name))) maps[t.name] = pmap(k, t).map(({ start: _s, end: _e, ...row }) => row);
    }
    const ps = k.pageSize / 1024;
    return {
      step: pos,
      stepCount: s.scenario.steps.length,
      lastStep: pos > 0 ? describeStep(s.scenario.steps[pos - 1]!) : '',
      active: r.activeStates(),
      visited: s.visited[pos] ?? [],
      activeBefore: pos > 0 ? (s.active[pos - 1] ?? []) : [],
      processes: topRows(k),
      status,
      maps,
      frames: { cells: b64(cells), owners: runs(owners), framesPerCell: per, total, counts: frameCounts },
      watermarks: { min: k.wmark.min * ps, low: k.wmark.low * ps, high: k.wmark.high * ps, free: fr.free * ps },
      meminfo: { ...r.snapshot('now').meminfo },
      vmstat: { ...r.snapshot('now').vmstat },
      logs: Object.fromEntries(
        LOG_STREAMS.map((stream) => {
          const total = logTotal(r, stream);
          return [stream, { total, lost: stream === 'faults' ? k.trace.lost : 0, tail: logLines(r, stream, Math.max(0, total - LOG_TAIL), LOG_TAIL) }];
        }),
      ) as SimView['logs'],
      series: {
        memFree: slice(s.series.memFree),
        rss: Object.fromEntries(Object.entries(s.series.rss).map(([n, v]) => [n, Array.from(slice(v), (x) => x ?? 0)])),
        swap: Object.fromEntries(Object.entries(s.series.swap).map(([n, v]) => [n, Array.from(slice(v), (x) => x ?? 0)])),
        heap: Object.fromEntries(Object.entries(s.series.heap).map(([n, v]) => [n, Array.from(slice(v), (x) => x ?? 0)])),
        vmstat: Object.fromEntries(Object.entries(s.series.vmstat).map(([n, v]) => [n, slice(v)])),
      },
      ...(s.error && s.error.step <= pos + 1 ? { error: s.error } : {}),
    };
  };

  const session = (id: string, client: string): Session => {
    const s = sessions.get(id);
    if (!s || s.client !== client) throw new ApiError('not-found', `no simulator session '${id}' (it may have been closed)`);
    s.usedAt = ++calls;
    return s;
  };

  return {
    'sim.listScenarios': async () => {
      let files: string[] = [];
      try {
        files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
      } catch {
        files = [];
      }
      const info = (id: string, text: string, file: string): ScenarioInfo => {
        const key = `${id}\u0000${file}\u0000${text}`;
        const known = infoCache.get(key);
        if (known) return known;
        const made = infoOf(id, text, file);
        if (infoCache.size > 256) infoCache.clear();
        infoCache.set(key, made);
        return made;
      };
      const infoOf = (id: string, text: string, file: string): ScenarioInfo => {
        try {
          const s = parseScenario(text, file);
          return { id, title: s.title ?? file, description: (s.description ?? '').trim() };
        } catch (err) {
          return { id, title: `${file} (broken: ${err instanceof Error ? err.message : String(err)})`, description: '' };
        }
      };
      const builtins = files.map((f) => info(f.replace(/\.yaml$/, ''), readFileSync(join(dir, f), 'utf8'), f));
      const inPacks = (await (packScenarios?.list() ?? Promise.resolve([]))).map((x) => ({
        ...info(packScenarioId(x.packId, x.path), x.text, x.path),
        pack: { id: x.packId, title: x.packTitle },
      }));
      return { scenarios: [...builtins, ...inPacks] };
    },
    'sim.load': async (params, ctx) => {
      const src = await sourceOf(params);
      // an exercise's drawn parameters fill the scenario's {{…}}: the learner's variant, not the defaults
      const scenario = parseText(src, params.params);
      const source = src.text;
      const mine = [...sessions.values()].filter((s) => s.client === ctx.clientId);
      if (mine.length >= MAX_SESSIONS_PER_CLIENT) sessions.delete(mine[0]!.id);
      if (mine.length === 0) ctx.onClose(() => {
        for (const [id, s] of sessions) if (s.client === ctx.clientId) sessions.delete(id);
      });
      // the new machine's room comes out of the other sessions' checkpoints first
      shareCheckpoints(null, bootBytes(scenario));
      const s: Session = { id: randomUUID(), client: ctx.clientId, scenario, runner: new Runner(scenario), series: { memFree: [], rss: {}, swap: {}, heap: {}, vmstat: {} }, visited: [], active: [], checkpoints: new Checkpoints(), usedAt: ++calls };
      record(s);
      sessions.set(s.id, s);
      return {
        sessionId: s.id,
        title: scenario.title ?? scenario.file ?? 'scenario',
        description: (scenario.description ?? '').trim(),
        ...(scenario.outcome?.trim() ? { outcome: scenario.outcome.trim() } : {}),
        stepCount: scenario.steps.length,
        steps: scenario.steps.map(describeStep),
        processes: scenario.processes.map((p) => p.name),
        machine: { ramBytes: scenario.machine.ram, swapBytes: scenario.machine.swap, pageSize: scenario.machine.page_size },
        source,
      };
    },
    'sim.seek': async ({ sessionId, step, maps }, ctx) => {
      const s = session(sessionId, ctx.clientId);
      await advanceTo(s, Math.min(step, s.scenario.steps.length), ctx);
      return view(s, maps);
    },
    'sim.log': ({ sessionId, stream, from, count }, ctx) => {
      const s = session(sessionId, ctx.clientId);
      const total = logTotal(s.runner, stream);
      const start = Math.min(from, total);
      return { step: s.runner.pos, total, from: start, lines: logLines(s.runner, stream, start, count) };
    },
    'sim.close': ({ sessionId }, ctx) => ({ closed: sessions.get(sessionId)?.client === ctx.clientId && sessions.delete(sessionId) }),
    'sim.statechart': () => ({ chart: describeChart(), layout: kernelChartLayout(), process: processChartLayout() }),
    'sim.validate': ({ text, fileName }) => {
      try {
        parseScenario(text, fileName);
        return { ok: true };
      } catch (err) {
        if (err instanceof ScenarioError) return { ok: false, error: { message: err.message, line: err.where.line, field: err.where.field, step: err.where.step } };
        throw err;
      }
    },
    'sim.editMachine': ({ text, machine }) => {
      const doc = parseDocument(text);
      if (doc.errors.length) throw new ApiError('invalid-input', `the scenario is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
      try {
        for (const [k, v] of Object.entries(machine)) if (v !== undefined) doc.setIn(['machine', k], v);
        return { text: doc.toString() };
      } catch (err) {
        // a document that is not a mapping (a bare number, a list) has no machine to edit
        throw new ApiError('invalid-input', `the scenario cannot take a machine setting: ${err instanceof Error ? err.message : String(err)}`, { field: 'text' });
      }
    },
    'sim.readSteps': ({ text }) => {
      try {
        return { ...readSteps(text), fields: stepFields() };
      } catch (err) {
        if (err instanceof StepEditError) throw new ApiError('invalid-input', err.message, { field: 'text' });
        throw err;
      }
    },
    'sim.editStep': ({ text, edit }) => {
      try {
        return { text: editSteps(text, edit) };
      } catch (err) {
        if (err instanceof StepEditError) throw new ApiError('invalid-input', err.message, { field: 'edit' });
        throw err;
      }
    },
    'sim.run': async (params) => {
      const scenario = await parse('scenarioId' in params ? { scenarioId: params.scenarioId } : { text: params.text });
      const r = new Runner(scenario, { seed: params.seed });
      while (!r.done) {
        try {
          await r.stepAsync(() => new Promise((res) => setImmediate(res)));
        } catch (err) {
          if (err instanceof ScenarioError) break;
          throw err;
        }
      }
      return r.finish() as never;
    },
  };
}
