import type { FlowStep } from './definition.js';

/**
 * The step graph of a flow: where each step may go, and the shapes in it that the definition
 * check refuses (unreachable steps, loops without a wait, branches with no reply to read).
 * Shared by the check and the interpreter, so both read `next` the same way.
 */

/** The step after `steps[index]` when it names none: the next in the list; null ends the run. */
export function followingId(steps: readonly FlowStep[], index: number): string | null {
  const step = steps[index];
  if (step === undefined || step.type === 'end') return null;
  return step.next ?? steps[index + 1]?.id ?? null;
}

export interface StepTarget {
  /** The step id named; null: the run ends there. */
  id: string | null;
  /** The JSON pointer (under the definition) of the field naming it. */
  path: string;
}

/** Every place step `index` may go, with the field that says so. */
export function targetsOf(steps: readonly FlowStep[], index: number): StepTarget[] {
  const step = steps[index];
  if (step === undefined || step.type === 'end') return [];
  const at = `/steps/${index}`;
  const following: StepTarget = {
    id: followingId(steps, index),
    path: step.next !== undefined ? `${at}/next` : at,
  };
  if (step.type !== 'branch') return [following];
  const targets: StepTarget[] = step.cases.map((c, k) => ({
    id: c.goto,
    path: `${at}/cases/${k}/goto`,
  }));
  targets.push(
    step.otherwise !== undefined ? { id: step.otherwise, path: `${at}/otherwise` } : following,
    step.noReply !== undefined ? { id: step.noReply, path: `${at}/noReply` } : following,
  );
  return targets;
}

export interface StepGraph {
  /** Targets naming no step of the flow. */
  danglingTargets: { id: string; path: string }[];
  /** Indexes of the steps no path from the first step reaches. */
  unreachable: number[];
  /** Loops made only of steps that do not wait, each as step indexes in order. */
  cyclesWithoutWait: number[][];
  /** Branches some path from the first step reaches without a wait with untilReply. */
  branchesWithoutReply: number[];
}

/** The graph's findings; linear in steps and targets (at most 50 steps × 22 targets). */
export function stepGraph(steps: readonly FlowStep[]): StepGraph {
  const index = new Map<string, number>();
  steps.forEach((s, i) => {
    if (!index.has(s.id)) index.set(s.id, i);
  });
  const danglingTargets: StepGraph['danglingTargets'] = [];
  const edges = steps.map((step, i) => {
    const out: number[] = [];
    const targets = targetsOf(steps, i);
    // A branch with both otherwise and noReply never takes its `next`: it must still name a step.
    const next = step.type === 'end' ? undefined : step.next;
    if (next !== undefined && !targets.some((t) => t.path.endsWith('/next'))) {
      targets.push({ id: next, path: `/steps/${i}/next` });
    }
    for (const t of targets) {
      if (t.id === null) continue;
      const j = index.get(t.id);
      if (j === undefined) danglingTargets.push({ id: t.id, path: t.path });
      else if (!out.includes(j)) out.push(j);
    }
    return out;
  });

  const reached = walk(edges, () => true);
  const unreachable = steps.map((_, i) => i).filter((i) => !reached.has(i));
  // From the first step, stopping at waits for a reply: every branch met on the way has none.
  const noReplyYet = walk(edges, (i) => {
    const s = steps[i]!;
    return !(s.type === 'wait' && s.untilReply === true);
  });
  const branchesWithoutReply = [...noReplyYet]
    .filter((i) => steps[i]!.type === 'branch')
    .sort((a, b) => a - b);
  const cyclesWithoutWait = loopsAmong(
    edges,
    steps.map((s) => s.type !== 'wait'),
  );
  return { danglingTargets, unreachable, cyclesWithoutWait, branchesWithoutReply };
}

/** The steps reached from the first one, expanding only the steps `expand` accepts. */
function walk(edges: number[][], expand: (i: number) => boolean): Set<number> {
  const seen = new Set<number>();
  if (edges.length === 0) return seen;
  const todo = [0];
  seen.add(0);
  while (todo.length > 0) {
    const i = todo.pop()!;
    if (!expand(i)) continue;
    for (const j of edges[i]!) {
      if (!seen.has(j)) {
        seen.add(j);
        todo.push(j);
      }
    }
  }
  return seen;
}

/**
 * One loop per strongly connected group of the `member` steps (Tarjan's algorithm, then a
 * path back to the group's first step): enough to name each loop without listing them all.
 */
function loopsAmong(edges: number[][], member: boolean[]): number[][] {
  const n = edges.length;
  const order = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const groups: number[][] = [];
  let counter = 0;
  // Recursion depth is at most the step count (50).
  const visit = (v: number) => {
    order[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = true;
    for (const w of edges[v]!) {
      if (!member[w]) continue;
      if (order[w] === -1) {
        visit(w);
        low[v] = Math.min(low[v], low[w]!);
      } else if (onStack[w]) {
        low[v] = Math.min(low[v], order[w]!);
      }
    }
    if (low[v] === order[v]) {
      const group: number[] = [];
      let w: number;
      do {
        w = stack.pop()!;
        onStack[w] = false;
        group.push(w);
      } while (w !== v);
      groups.push(group);
    }
  };
  for (let v = 0; v < n; v++) if (member[v] && order[v] === -1) visit(v);

  const loops: number[][] = [];
  for (const group of groups) {
    const start = Math.min(...group);
    const inGroup = new Set(group);
    if (group.length === 1 && !edges[start]!.includes(start)) continue;
    loops.push(pathBack(edges, start, inGroup));
  }
  return loops.sort((a, b) => a[0]! - b[0]!);
}

/** A shortest path from `start` back to itself inside `group` (its steps, start first). */
function pathBack(edges: number[][], start: number, group: Set<number>): number[] {
  const parent = new Map<number, number>();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q]!;
    for (const w of edges[v]!) {
      if (!group.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let u = v; u !== start;) {
          u = parent.get(u)!;
          path.push(u);
        }
        return path.reverse();
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}
