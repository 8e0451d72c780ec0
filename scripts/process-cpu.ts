import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU milliseconds used so far by a process and all its descendants (tsx runs node as a child),
 * including descendants that have exited: a reaped child's time is in its parent's
 * cutime/cstime (PostgreSQL's backends come and go with connections).
 */
export function cpuMsOfTree(rootPid: number): number {
  const ticksByPid = new Map<number, { parent: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticksByPid.set(Number(entry), { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) });
    } catch {
      /* exited meanwhile */
    }
  }
  let ticks = 0;
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    ticks += ticksByPid.get(pid)?.ticks ?? 0;
    for (const [child, info] of ticksByPid) if (info.parent === pid) pending.push(child);
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}
