/** LabApi: the Linux host panel (off until the learner turns it on). */
import { z } from 'zod';
import { method } from './protocol.js';

const nums = z.record(z.string(), z.number());

export const HostProc = z.object({
  pid: z.number(),
  user: z.string(),
  command: z.string(),
  state: z.enum(['ok', 'unreadable', 'gone', 'kernel-thread']),
  VIRT: z.number(),
  RES: z.number(),
  SHR: z.number(),
  SWAP: z.number(),
  minflt: z.number(),
  majflt: z.number(),
  minfltRate: z.number(),
  majfltRate: z.number(),
  oom_score: z.number(),
  oom_score_adj: z.number(),
});

export const HostSystem = z.object({
  meminfo: nums,
  /** /proc/vmstat counters per second since the previous sample */
  vmstatRates: nums,
  pressure: z.object({ some: z.number(), full: z.number() }).nullable(),
  zones: z.array(z.object({ node: z.number(), zone: z.string(), min: z.number(), low: z.number(), high: z.number(), free: z.number(), managed: z.number() })),
  sysctls: z.array(z.object({ name: z.string(), value: z.string(), meaning: z.string() })),
});

export const hostMethods = {
  'host.status': method(z.object({}).strict(), z.object({ available: z.boolean(), why: z.string().optional(), enabled: z.boolean() }), 'Can the panel read /proc here, and is it on?'),
  'host.enable': method(z.object({ enabled: z.boolean() }).strict(), z.object({ enabled: z.boolean() }), 'Turn the panel on or off (off by default: process names can be private).'),
  'host.system': method(z.object({}).strict(), HostSystem, 'meminfo, vmstat rates, pressure, watermarks and the sysctls that steer reclaim.'),
  'host.processes': method(z.object({}).strict(), z.object({ rows: z.array(HostProc), sampledAt: z.number() }), 'Every process, like top.'),
  'host.process': method(
    z.object({ pid: z.number().int().positive(), rollup: z.boolean().default(false) }).strict(),
    z.object({
      pid: z.number(),
      state: z.enum(['ok', 'unreadable', 'gone']),
      status: z.record(z.string(), z.string()),
      maps: z.array(z.object({ address: z.string(), kbytes: z.number(), rss: z.number(), dirty: z.number(), swap: z.number(), mode: z.string(), mapping: z.string(), segment: z.string() })),
      rollup: z.object({ Rss: z.number(), Pss: z.number(), SwapPss: z.number(), USS: z.number() }).nullable(),
    }),
    'One process: status fields and its map like pmap -x; smaps_rollup only when asked.',
  ),
  'host.pssAll': method(
    z.object({}).strict(),
    z.object({ rows: z.array(z.object({ pid: z.number(), Pss: z.number(), SwapPss: z.number(), USS: z.number() })), tookMs: z.number() }),
    'PSS, SwapPss and USS of every readable process from smaps_rollup — only when the learner asks: it takes each process\'s mmap lock.',
  ),
  'host.experiment': method(
    z.object({ sizeMib: z.number().int().min(1).max(4096) }).strict(),
    z.object({
      sizeMib: z.number(),
      predicted: z.object({ resGrowthKb: z.number(), virtGrowthKb: z.number(), minflt: z.number() }),
      measured: z.object({
        resGrowthKb: z.number(),
        virtGrowthKb: z.number(),
        minflt: z.number(),
        pid: z.number(),
        /** /proc/PID/status VmRSS (kB) read before and after the probe touched its memory */
        rssBeforeKb: z.number(),
        rssAfterKb: z.number(),
      }),
      notes: z.array(z.string()),
    }),
    'Run malloc-and-touch for real in a probe process and beside it the simulator\'s prediction.',
  ),
};

export const hostEvents = {
  /** once a second while the panel is on */
  'host.sample': z.object({ at: z.number(), meminfo: nums, vmstatRates: nums }),
};
