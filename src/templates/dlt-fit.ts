/**
 * India DLT: does a text fit the template registered on the DLT portal? The registered text is
 * literal except for `{#var#}` slots, each standing for at most 30 characters (the TRAI portals'
 * limit). Operators block a text that does not fit, so Tern checks before it sends.
 *
 * The matcher is linear in the text for a bounded number of slots, with no regular expression
 * built from operator input (so no escaping to get wrong, and no backtracking): the literal
 * pieces' occurrences are found with indexOf, then a sweep carries the set of reachable ends
 * from one piece to the next. Pure.
 */

export const DLT_SLOT = '{#var#}';
/** The most characters one `{#var#}` stands for. */
export const DLT_SLOT_MAX = 30;
/** Guess: the portals take 2,000 characters of template text; 50 slots is far more than any registered one. */
export const DLT_TEXT_MAX = 2_000;
export const DLT_SLOTS_MAX = 50;

/** The registered text, cut at its slots: pieces.length === slots + 1. */
export function dltPieces(registered: string): string[] {
  return registered.split(DLT_SLOT);
}

/** Why `registered` cannot be a DLT template text, or undefined. */
export function dltPatternProblem(registered: string): string | undefined {
  if (registered.length > DLT_TEXT_MAX) return `must be at most ${DLT_TEXT_MAX} characters`;
  const slots = dltPieces(registered).length - 1;
  if (slots > DLT_SLOTS_MAX) return `may have at most ${DLT_SLOTS_MAX} {#var#} slots`;
  return undefined;
}

/**
 * Whether `text` is `registered` with each `{#var#}` replaced by 0 to 30 characters.
 *
 * `ends` holds, in increasing order, every position where the text matched so far can end.
 * For each next piece, its occurrences are candidate starts; a start is reachable when some end
 * lies in [start - 30, start] (a slot of 0-30 characters between). Both lists are sorted, so one
 * two-pointer sweep per piece decides it: O(slots × text length) plus the indexOf scans.
 */
export function fitsDltTemplate(text: string, registered: string): boolean {
  const pieces = dltPieces(registered);
  const first = pieces[0] ?? '';
  if (!text.startsWith(first)) return false;
  if (pieces.length === 1) return text === first;
  const literal = pieces.reduce((n, p) => n + p.length, 0);
  const slots = pieces.length - 1;
  // Quick bounds: the text is the literal parts plus at most 30 characters per slot.
  if (text.length < literal || text.length > literal + slots * DLT_SLOT_MAX) return false;

  let ends = [first.length];
  for (let i = 1; i < pieces.length; i++) {
    const piece = pieces[i] ?? '';
    const last = i === pieces.length - 1;
    const next: number[] = [];
    let e = 0;
    const tryStart = (start: number) => {
      // Advance past ends too far behind this start (they only fall further behind later).
      while (e < ends.length && (ends[e] ?? 0) < start - DLT_SLOT_MAX) e++;
      const end = ends[e];
      if (end !== undefined && end <= start) next.push(start + piece.length);
    };
    if (last) {
      // The final piece must end the text: its one possible start.
      const start = text.length - piece.length;
      if (start >= 0 && text.endsWith(piece)) tryStart(start);
    } else {
      const from = ends[0] ?? 0;
      const to = (ends[ends.length - 1] ?? 0) + DLT_SLOT_MAX;
      for (let at = text.indexOf(piece, from); at !== -1 && at <= to;) {
        tryStart(at);
        at = at + 1 > text.length ? -1 : text.indexOf(piece, at + 1);
      }
    }
    if (next.length === 0) return false;
    ends = next;
  }
  return ends.includes(text.length);
}
