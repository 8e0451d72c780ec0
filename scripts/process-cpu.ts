import { readdirSync, readFileSync } from 'node:fs';

/**
 * Sums one figure over a process and all its descendants, read from /proc: `read` gets a pid's
 * parent and figure from its files (undefined when it exited meanwhile).
 */
function sumOverTree(rootPid: number, read: (pid: string) => { parent: number; value: number }): number {
  const byPid = new Map<number, { parent: number; value: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      byPid.set(Number(entry), read(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  let total = 0;
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    total += byPid.get(pid)?.value ?? 0;
    for (const [child, info] of byPid) if (info.parent === pid) pending.push(child);
  }
  return total;
}

/**
 * CPU milliseconds used so far by a process and all its descendants (a server's workers, say),
 * including descendants that have exited: a reaped child's time is in its parent's
 * cutime/cstime (PostgreSQL's backends come and go with connections).
 */
export function cpuMsOfTree(rootPid: number): number {
  const ticks = sumOverTree(rootPid, (pid) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { parent: Number(fields[1]), value: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) };
  });
  return ticks * 10; // USER_HZ is 100 on Linux
}

/** Resident memory (MiB) of a process and its descendants. */
export function rssMibOfTree(rootPid: number): number {
  const kib = sumOverTree(rootPid, (pid) => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { parent: Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0), value: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) };
  });
  return kib / 1024;
}
