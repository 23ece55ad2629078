import * as fs from 'node:fs';

/**
 * utime + stime so far, in seconds (Linux /proc, clock ticks of 1/100 s), of a whole process, or of one of its
 * threads with `tid` (its main, JavaScript, thread: tid = pid; the rest is V8's helper threads and libuv's pool).
 * NaN where /proc cannot tell (another OS, a process gone).
 */
export function cpuSeconds(pid: number, tid?: number): number {
  try {
    const stat = fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The same, of a process's main (JavaScript) thread alone (by default this process's). */
export function mainThreadSeconds(pid = process.pid): number {
  return cpuSeconds(pid, pid);
}
