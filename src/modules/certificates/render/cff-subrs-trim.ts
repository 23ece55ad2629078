import type { FontkitFont } from './font-chain';

/**
 * fontkit subsets a CFF font by keeping every local and global subroutine slot and blanking the unused ones,
 * so the index keeps its length: Noto Sans CJK's font dict 12 has 28,516 subroutines, and one rare character
 * (𠇔) costs 90 KB raw (52 KB compressed) of empty slots. The slots after the last used one can go, as long
 * as the count stays in the same bias bracket of the Type 2 charstring format (count < 1240 ⇒ bias 107,
 * < 33900 ⇒ 1131, else 32768), since a charstring calls subroutine `operand + bias(count)`.
 * Applied once to fontkit's CFF subset class, found through a CFF font's subset object.
 */
const BRACKETS = [0, 1240, 33900];
const bracketFloor = (count: number) => BRACKETS.filter((b) => b <= count).at(-1)!;

export function trimmedLength(count: number, used: Record<number, boolean>): number {
  let last = -1;
  for (const k of Object.keys(used)) if (used[Number(k)] && Number(k) > last) last = Number(k);
  return Math.min(count, Math.max(last + 1, bracketFloor(count)));
}

let patched = false;

export function trimCffSubroutines(cffFont: FontkitFont): void {
  if (patched) return;
  const subset = (cffFont as unknown as { createSubset(): object }).createSubset();
  const proto = Object.getPrototypeOf(subset) as { subsetSubrs?: (subrs: unknown[], used: Record<number, boolean>) => unknown[] };
  const original = proto.subsetSubrs;
  if (typeof original !== 'function') return; // not a CFF subset (or another fontkit): leave it be
  proto.subsetSubrs = function (this: unknown, subrs: unknown[], used: Record<number, boolean>) {
    return original.call(this, subrs, used).slice(0, trimmedLength(subrs.length, used));
  };
  patched = true;
}
