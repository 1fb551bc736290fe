/**
 * The OOM killer, after mm/oom_kill.c (Linux 6.x): oom_badness, the per-process oom_score of
 * fs/proc/base.c, the victim choice, and the report the kernel prints.
 */
import type { Kernel, Task } from './kernel.js';
import { exitTask } from './exit.js';
import { isSwapPte } from './pgtable.js';

export const OOM_SCORE_ADJ_MIN = -1000;
export const OOM_SCORE_ADJ_MAX = 1000;

/** mm_pgtables_bytes: the page-table pages the process's mappings hold (PTE, PMD and PUD tables, a page each). */
export function pgtablesBytes(t: Task, _pageSize?: number): number {
  return t.mm.pt.pgtablesBytes;
}

/**
 * oom_badness: rss + swap entries + page-table pages, plus oom_score_adj scaled to
 * thousandths of all memory (totalpages = RAM + swap). null: unkillable (adj -1000, no mm).
 */
export function oomBadness(k: Kernel, t: Task): number | null {
  if (!t.alive) return null;
  if (t.oomScoreAdj === OOM_SCORE_ADJ_MIN) return null;
  const totalpages = k.totalPages + k.swap.slots;
  let points = t.mm.rss + t.mm.swapEnts + pgtablesBytes(t, k.pageSize) / k.pageSize;
  points += t.oomScoreAdj * Math.floor(totalpages / 1000);
  return points;
}

/** /proc/PID/oom_score (fs/proc/base.c, 6.x): (1000 + badness * 1000 / totalpages) * 2 / 3, in [0, 2000]. */
export function oomScore(k: Kernel, t: Task): number {
  const totalpages = k.totalPages + k.swap.slots;
  const b = oomBadness(k, t);
  if (b === null) return 0;
  return Math.trunc(((1000 + Math.trunc((b * 1000) / totalpages)) * 2) / 3);
}

/** select_bad_process: the task with the highest badness (a tie goes to the first found). */
export function selectVictim(k: Kernel): Task | null {
  let best: Task | null = null;
  let bestPoints = -Infinity;
  for (const t of k.tasks) {
    const p = oomBadness(k, t);
    if (p === null) continue;
    if (p > bestPoints) {
      best = t;
      bestPoints = p;
    }
  }
  return best;
}

const kB = (pages: number, pageSize: number) => (pages * pageSize) / 1024;

/** The report, as dump_header, dump_tasks and oom_kill_process print it. */
export function oomReport(k: Kernel, trigger: Task, victim: Task): string[] {
  const ps = k.pageSize;
  const lines = [
    `${trigger.name} invoked oom-killer: gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO), order=0, oom_score_adj=${trigger.oomScoreAdj}`,
    `Mem-Info: active_anon:${k.frames.active[1]} inactive_anon:${k.frames.count[1]! - k.frames.active[1]!} active_file:${k.frames.active[2]} inactive_file:${k.frames.count[2]! - k.frames.active[2]!} free:${k.frames.free} mlocked:${k.frames.mlocked}`,
    `Free swap  = ${kB(k.swap.free, ps)}kB`,
    `Total swap = ${kB(k.swap.slots, ps)}kB`,
    'Tasks state (memory values in pages):',
    '[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name',
  ];
  for (const t of k.tasks) {
    if (!t.alive) continue;
    const m = t.mm;
    lines.push(
      `[${String(t.pid).padStart(7)}] ${String(t.uid).padStart(5)} ${String(t.pid).padStart(5)} ${String(m.totalVm / ps).padStart(8)} ${String(m.rss).padStart(8)} ${String(m.rssAnon).padStart(8)} ${String(m.rssFile).padStart(8)} ${String(m.rssShmem).padStart(9)} ${String(pgtablesBytes(t, ps)).padStart(14)} ${String(m.swapEnts).padStart(8)} ${String(t.oomScoreAdj).padStart(13)} ${t.name}`,
    );
  }
  const m = victim.mm;
  lines.push(
    `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),task=${victim.name},pid=${victim.pid},uid=${victim.uid}`,
    `Out of memory: Killed process ${victim.pid} (${victim.name}) total-vm:${m.totalVm / 1024}kB, anon-rss:${kB(m.rssAnon, ps)}kB, file-rss:${kB(m.rssFile, ps)}kB, shmem-rss:${kB(m.rssShmem, ps)}kB, UID:${victim.uid} pgtables:${pgtablesBytes(victim, ps) / 1024}kB oom_score_adj:${victim.oomScoreAdj}`,
  );
  return lines;
}

/** oom_kill_process: report, kill (SIGKILL), and free the victim's memory (the oom reaper). */
export function oomKill(k: Kernel, trigger: Task): Task | null {
  const victim = selectVictim(k);
  if (!victim) return null;
  for (const l of oomReport(k, trigger, victim)) k.log_(l);
  k.vmstat.oom_kill++;
  const ps = k.pageSize;
  const before = { anon: victim.mm.rssAnon, file: victim.mm.rssFile, shmem: victim.mm.rssShmem };
  exitTask(k, victim, 'killed:oom');
  k.log_(
    `oom_reaper: reaped process ${victim.pid} (${victim.name}), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB (freed anon ${kB(before.anon, ps)}kB)`,
  );
  return victim;
}

export { isSwapPte };
