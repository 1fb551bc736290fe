/**
 * Geometry for drawing the kernel statechart: one dagre layout per parallel region, states as
 * boxes and one routed edge per transition (self-loops included), computed here in the main
 * process so the renderer draws plain SVG and never ships a layout engine.
 *
 * The transitions are read from the machine's state nodes here rather than from describeChart():
 * xstate 5 keeps a state's evented transitions in a Map (event → transitions), which
 * describeChart spreads as [key, value] pairs, so its `transitions` lose ACCESS and TICK.
 *
 * Sizes are SVG user units. Text is estimated, not measured (there is no DOM here): a label of
 * n characters at font size F is taken to be about 0.62·n·F wide, which holds for the system
 * sans-serif and monospace faces the renderer uses; the renderer scales the whole SVG through its
 * viewBox, so only the proportions matter. The output depends only on the machine's definition
 * (insertion order in, numbers rounded out), so two runs give identical JSON.
 */
import dagre from '@dagrejs/dagre';
import { guardName, kernelMachine, processMachine } from './machine.js';

/** font sizes (user units) the renderer draws with; the estimates below assume them */
export const STATE_FONT = 13;
export const EDGE_FONT = 11;
/** a state's box: padding above the name and below the last line, and the height of each small line */
export const STATE_PAD = 5;
export const LINE = EDGE_FONT + 3;
/** the widest status tag the renderer writes in a state */
const STATUS_TAG = 'ran this step';
const CHAR_W = 0.62;

export interface LaidPoint {
  x: number;
  y: number;
}

export interface LaidState {
  /** region-qualified id as the simulator reports active states, e.g. `cpu.running` */
  id: string;
  key: string;
  description?: string;
  /** the region's initial state */
  initial: boolean;
  /** a final state (type: 'final'): once there, the machine stops — a process that exited or was killed */
  final?: boolean;
  /** targetless transitions handled inside the state (UML internal transitions), e.g. TICK */
  internal: string[];
  /** centre */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LaidEdge {
  /** stable id: `<from>-><to>#<index of the transition in its source state>` */
  id: string;
  from: string;
  to: string;
  /** the event for an evented transition; the guard (or `[else]`) for an eventless one */
  label: string;
  event: string;
  guard?: string;
  /** the route, first point at the source's border, last at the target's */
  points: LaidPoint[];
  /** the route as an SVG path: a B-spline through the points (as d3's curveBasis draws dagre edges) */
  d: string;
  /** centre of the label */
  labelX: number;
  labelY: number;
}

export interface RegionLayout {
  /** `cpu`, `kswapd` */
  key: string;
  width: number;
  height: number;
  nodes: LaidState[];
  edges: LaidEdge[];
  /** the UML initial pseudo-state: a filled dot and an arrow into the initial state */
  initial: { x: number; y: number; r: number; points: LaidPoint[] } | null;
}

export interface ChartLayout {
  regions: RegionLayout[];
}

/** What an edge says: the event name, or for an eventless (`always`) transition its guard. */
export function transitionLabel(t: { event: string; guard?: string }): string {
  if (t.event === 'always') return t.guard ?? '[else]';
  return t.guard ? `${t.event} [${t.guard}]` : t.event;
}

const textWidth = (s: string, font: number) => Math.ceil(s.length * CHAR_W * font);
const r1 = (n: number) => Math.round(n * 10) / 10;
const pt = (p: { x: number; y: number }): LaidPoint => ({ x: r1(p.x), y: r1(p.y) });
const shortId = (id: string) => id.replace(/^kernel\./, '');

/** SVG path data for a B-spline through the points, the segments d3's curveBasis emits. */
export function basisPath(points: LaidPoint[]): string {
  const f = (n: number) => String(r1(n));
  const xy = (x: number, y: number) => `${f(x)},${f(y)}`;
  if (points.length === 0) return '';
  let d = `M${xy(points[0]!.x, points[0]!.y)}`;
  if (points.length < 3) return d + points.slice(1).map((p) => `L${xy(p.x, p.y)}`).join('');
  const curve = (a: LaidPoint, b: LaidPoint, c: LaidPoint) =>
    `C${xy((2 * a.x + b.x) / 3, (2 * a.y + b.y) / 3)} ${xy((a.x + 2 * b.x) / 3, (a.y + 2 * b.y) / 3)} ${xy((a.x + 4 * b.x + c.x) / 6, (a.y + 4 * b.y + c.y) / 6)}`;
  const [p0, p1] = points as [LaidPoint, LaidPoint];
  d += `L${xy((5 * p0.x + p1.x) / 6, (5 * p0.y + p1.y) / 6)}`;
  for (let i = 2; i < points.length; i++) d += curve(points[i - 2]!, points[i - 1]!, points[i]!);
  const a = points[points.length - 2]!, b = points[points.length - 1]!;
  return d + curve(a, b, b) + `L${xy(b.x, b.y)}`;
}

const INITIAL = '__initial__';
const DOT_R = 6;
/** horizontal room a self-loop takes right of its state */
const LOOP = 26;
const MARGIN = 12;

/** One transition of a state, as drawn: targetless ones are internal (the state is not left). */
export interface ChartTransition {
  event: string;
  target: string[];
  guard?: string;
}

/** The subset of an xstate 5 StateNode this module reads. */
export interface StateNodeLike {
  id: string;
  key: string;
  type: string;
  description?: string;
  states?: Record<string, StateNodeLike>;
  initial?: { target?: ReadonlyArray<{ id: string }> };
  transitions?: Map<string, ReadonlyArray<TransitionLike>> | ReadonlyArray<TransitionLike>;
  always?: ReadonlyArray<TransitionLike>;
}
interface TransitionLike {
  eventType?: string;
  target?: ReadonlyArray<{ id: string }>;
  guard?: unknown;
}

/** A state's transitions in the order xstate tries them: evented ones, then eventless (`always`). */
export function transitionsOf(node: StateNodeLike): ChartTransition[] {
  const evented = node.transitions instanceof Map ? [...node.transitions.values()].flat() : [...(node.transitions ?? [])];
  return [...evented, ...(node.always ?? [])].map((t) => {
    const guard = guardName(t.guard);
    const out: ChartTransition = { event: t.eventType || 'always', target: (t.target ?? []).map((s) => s.id) };
    if (guard) out.guard = guard;
    return out;
  });
}

function layoutRegion(region: StateNodeLike): RegionLayout {
  const initials = new Set((region.initial?.target ?? []).map((s) => s.id));
  const children = Object.values(region.states ?? {});
  const g = new dagre.graphlib.Graph({ multigraph: true, directed: true });
  g.setGraph({ rankdir: 'TB', nodesep: 20, edgesep: 10, ranksep: 30, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));

  const states: LaidState[] = [];
  for (const s of children) {
    const internal = transitionsOf(s).filter((t) => t.target.length === 0).map((t) => transitionLabel(t));
    const inner = internal.length ? `${internal.join(', ')} / internal` : '';
    // lines top to bottom: the name, the internal transitions if any, and a line kept free for the
    // renderer's status tag ("active" / "ran this step") so lighting a state never moves anything
    const width = Math.max(textWidth(s.key, STATE_FONT), textWidth(inner, EDGE_FONT), textWidth(STATUS_TAG, EDGE_FONT)) + 28;
    const height = STATE_PAD * 2 + STATE_FONT + 4 + (internal.length ? LINE : 0) + LINE;
    const st: LaidState = {
      id: shortId(s.id),
      key: s.key,
      initial: initials.has(s.id),
      ...(s.type === 'final' ? { final: true } : {}),
      internal,
      x: 0,
      y: 0,
      width,
      height,
    };
    if (s.description !== undefined) st.description = s.description;
    states.push(st);
    g.setNode(st.id, { width, height });
  }

  const initial = states.find((s) => s.initial);
  if (initial) {
    g.setNode(INITIAL, { width: DOT_R * 2, height: DOT_R * 2 });
    g.setEdge(INITIAL, initial.id, { minlen: 1, weight: 4 }, 'initial');
  }

  const edges: LaidEdge[] = [];
  for (const s of children) {
    transitionsOf(s).forEach((t, i) => {
      for (const target of t.target) {
        const from = shortId(s.id);
        const to = shortId(target);
        const label = transitionLabel(t);
        const id = `${from}->${to}#${i}`;
        // a self-loop's label box also reserves room for the loop, drawn below between the state and its label
        const width = textWidth(label, EDGE_FONT) + 6 + (from === to ? LOOP : 0);
        g.setEdge(from, to, { width, height: EDGE_FONT + 4, labelpos: 'c', minlen: 1 }, id);
        const e: LaidEdge = { id, from, to, label, event: t.event, points: [], d: '', labelX: 0, labelY: 0 };
        if (t.guard !== undefined) e.guard = t.guard;
        edges.push(e);
      }
    });
  }

  dagre.layout(g);

  for (const st of states) {
    const n = g.node(st.id);
    st.x = r1(n.x!);
    st.y = r1(n.y!);
  }
  const byId = new Map(states.map((s) => [s.id, s]));
  for (const e of edges) {
    const l = g.edge({ v: e.from, w: e.to, name: e.id });
    if (e.from === e.to) {
      // dagre reserves a box to the right of the state for a self-loop's label but routes the loop
      // itself through that box; draw the loop on the state's right side and the label beside it
      const n = byId.get(e.from)!;
      const x = n.x + n.width / 2;
      const dy = Math.min(8, n.height / 4);
      e.points = [pt({ x, y: n.y - dy }), pt({ x: x + LOOP - 6, y: n.y }), pt({ x, y: n.y + dy })];
      e.d = `M${r1(x)},${r1(n.y - dy)}C${r1(x + LOOP + 4)},${r1(n.y - n.height / 2 - 10)} ${r1(x + LOOP + 4)},${r1(n.y + n.height / 2 + 10)} ${r1(x)},${r1(n.y + dy)}`;
      e.labelX = r1(x + LOOP + (textWidth(e.label, EDGE_FONT) + 6) / 2);
      e.labelY = r1(n.y);
      continue;
    }
    e.points = (l.points ?? []).map(pt);
    e.d = basisPath(e.points);
    e.labelX = r1(l.x ?? e.points[Math.floor(e.points.length / 2)]?.x ?? 0);
    e.labelY = r1(l.y ?? e.points[Math.floor(e.points.length / 2)]?.y ?? 0);
  }
  let init: RegionLayout['initial'] = null;
  if (initial) {
    const n = g.node(INITIAL);
    const l = g.edge({ v: INITIAL, w: initial.id, name: 'initial' });
    init = { x: r1(n.x!), y: r1(n.y!), r: DOT_R, points: (l.points ?? []).map(pt) };
  }
  const gl = g.graph();
  return { key: region.key, width: Math.ceil(gl.width ?? 0), height: Math.ceil(gl.height ?? 0), nodes: states, edges, initial: init };
}

/** Lay out every parallel region of a machine (the kernel's, unless given another root state node). */
export function layoutChart(root: StateNodeLike = kernelMachine.root as unknown as StateNodeLike): ChartLayout {
  const regions = root.type === 'parallel' ? Object.values(root.states ?? {}) : [root];
  return { regions: regions.filter((r) => Object.keys(r.states ?? {}).length > 0).map(layoutRegion) };
}

let kernelLayout: ChartLayout | undefined;
/** The kernel machine's layout, computed once (it depends only on the machine's definition). */
export function kernelChartLayout(): ChartLayout {
  return (kernelLayout ??= layoutChart());
}

let processLayout: ChartLayout | undefined;
/** Each task's lifecycle machine (machine.ts: processMachine), laid out once. */
export function processChartLayout(): ChartLayout {
  return (processLayout ??= layoutChart(processMachine.root as unknown as StateNodeLike));
}
