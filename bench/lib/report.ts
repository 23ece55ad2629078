/** Output of every scenario: one line per figure, its ratio to the same run's baseline, the target's verdict. */
export const out = (line: string) => process.stdout.write(line + '\n');

export type Verdict = 'PASS' | 'MISS';

/** A figure against a target: "≥ 2000" or "≤ 50". Verdicts are printed, never turned into an exit code. */
export function verdict(value: number, op: '>=' | '<=', target: number): Verdict {
  return (op === '>=' ? value >= target : value <= target) ? 'PASS' : 'MISS';
}

export function target(value: number, op: '>=' | '<=', goal: number, unit = ''): string {
  return `[target ${op === '>=' ? '≥' : '≤'} ${goal}${unit}: ${verdict(value, op, goal)}]`;
}

export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

export const since = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6; // ms
