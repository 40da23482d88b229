/** Deeper JSON than this is refused: it would overflow recursive code (validation, serialisation). */
export const MAX_JSON_DEPTH = 256;

/** Iterative, so the check itself cannot overflow the stack it protects. */
export function depthExceeds(root: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}
