/**
 * The deepest nesting of arrays and objects any client input may have, over HTTP and sockets.
 * Nothing in the protocol needs more than a handful of levels; the bound exists so that no
 * parser, validator or transformer downstream ever recurses through attacker-sized structures.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Finds the nesting depth of JSON text chunk by chunk, before anything is parsed: a body nested
 * too deep is refused after reading only as far as the offending bracket, at a cost of one pass
 * over the bytes and no allocation. It does not validate JSON (JSON.parse does that afterwards);
 * brackets inside strings are skipped, and UTF-8 continuation bytes never look like ASCII.
 */
export class JsonDepthScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly maxDepth: number = MAX_JSON_DEPTH) {}

  /** Scans the next chunk; false as soon as the nesting goes deeper than the bound. */
  feed(chunk: Uint8Array): boolean {
    let { depth, inString, escaped } = this;
    const max = this.maxDepth;
    const length = chunk.length;
    let i = 0;
    while (i < length) {
      if (inString) {
        if (escaped) {
          escaped = false;
          i += 1;
          continue;
        }
        // Most of a publish body is string bytes: jump to the next quote with the engine's native
        // search instead of looking at every byte (issue 14: the byte loop was ~5 % of a batch's
        // CPU). The backslashes right before it say whether it ends the string: an odd run escapes it.
        const quote = chunk.indexOf(QUOTE, i);
        const end = quote === -1 ? length : quote;
        let backslashes = 0;
        while (end - backslashes - 1 >= i && chunk[end - backslashes - 1] === BACKSLASH) backslashes += 1;
        if (quote === -1) escaped = backslashes % 2 === 1;
        else if (backslashes % 2 === 0) inString = false;
        i = end + 1;
        continue;
      }
      const byte = chunk[i++];
      if (byte === QUOTE) {
        inString = true;
      } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
        if (++depth > max) {
          this.depth = depth;
          return false;
        }
      } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
        depth -= 1;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    return true;
  }
}

/**
 * True when a decoded value (a socket message's arguments) nests arrays or objects deeper than
 * `maxDepth`. Iterative, and it stops at the first path that is too deep, so its cost is bounded
 * by the message's size, which the caller has already bounded.
 */
export function nestedDeeperThan(values: readonly unknown[], maxDepth: number = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = values.map((value) => [value, 0]);
  while (stack.length > 0) {
    const [value, parentDepth] = stack.pop() as [unknown, number];
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) continue;
    const depth = parentDepth + 1;
    if (depth > maxDepth) return true;
    if (Array.isArray(value)) for (const item of value) stack.push([item, depth]);
    else for (const key in value) if (Object.hasOwn(value, key)) stack.push([(value as Record<string, unknown>)[key], depth]);
  }
  return false;
}
