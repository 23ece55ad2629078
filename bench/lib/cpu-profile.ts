import * as fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a frame's code lives: a package, a file of this project, node internals, or V8 itself. */
function area(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native/V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1).replace(/^file:\/\//, '');
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return url.slice(bench + 1);
  return url;
}

function label(n: ProfileNode): string {
  const f = n.callFrame;
  const where = area(f.url, f.functionName);
  return `${f.functionName || '(anonymous)'} ${where}${f.url ? `:${f.lineNumber + 1}` : ''}`;
}

/**
 * Lines summarizing a .cpuprofile: total and idle time, self time by area (package or project
 * file), the top functions by self time, and the top project/package frames by inclusive time
 * (a frame counted once per stack, however deep its recursion).
 */
export function summarizeCpuProfile(file: string, top = 25): string[] {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  const busy = total - idle;
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;

  const selfByArea = new Map<string, number>();
  const selfByFn = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const inclusiveByArea = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') continue;
    const a = area(n.callFrame.url, n.callFrame.functionName);
    selfByArea.set(a, (selfByArea.get(a) ?? 0) + us);
    const l = label(n);
    selfByFn.set(l, (selfByFn.get(l) ?? 0) + us);
    const seen = new Set<string>();
    const seenAreas = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur)!;
      const k = label(node);
      const ar = node.callFrame.url ? area(node.callFrame.url, node.callFrame.functionName) : undefined;
      if (ar && !seenAreas.has(ar)) {
        seenAreas.add(ar);
        inclusiveByArea.set(ar, (inclusiveByArea.get(ar) ?? 0) + us);
      }
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  const lines = [`sampled ${(total / 1000).toFixed(0)} ms, of which idle ${(idle / 1000).toFixed(0)} ms; percentages are of the busy ${(busy / 1000).toFixed(0)} ms`];
  lines.push('self time by area:');
  for (const [k, us] of sorted(selfByArea).slice(0, 20)) lines.push(`  ${pct(us)}  ${k}`);
  lines.push('self time by function:');
  for (const [k, us] of sorted(selfByFn).slice(0, top)) lines.push(`  ${pct(us)}  ${k}`);
  lines.push('inclusive time by package (samples with the package anywhere on the stack; native calls it makes included):');
  const packages = sorted(inclusiveByArea).filter(([k]) => !k.startsWith('node:') && !/ (src|bench)\//.test(' ' + k) && !k.includes('/'));
  for (const [k, us] of packages.slice(0, 15)) lines.push(`  ${pct(us)}  ${k}`);
  lines.push('inclusive time of project functions (src/):');
  for (const [k, us] of sorted(inclusive).filter(([k]) => / src\//.test(k)).slice(0, top)) lines.push(`  ${pct(us)}  ${k}`);
  return lines;
}
