/**
 * A line diff for `config show --diff`: lines only in `before` as "-", only in `after` as
 * "+", shared ones as " " (longest common subsequence; configs are a few hundred lines).
 * Runs of unchanged lines beyond `context` around a change are folded into "@@".
 */
export function lineDiff(before: string, after: string, context = 3): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const all: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      all.push(` ${a[i]}`);
      i++;
      j++;
    } else if (j < b.length && (i >= a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      all.push(`+${b[j]}`);
      j++;
    } else {
      all.push(`-${a[i]}`);
      i++;
    }
  }
  const near = all.map((_, k) => all.slice(Math.max(0, k - context), k + context + 1).some((line) => !line.startsWith(' ')));
  const out: string[] = [];
  all.forEach((line, k) => {
    if (near[k]) out.push(line);
    else if (out[out.length - 1] !== '@@') out.push('@@');
  });
  return out;
}
