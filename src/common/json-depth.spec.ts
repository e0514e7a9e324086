import { JsonDepthScanner, MAX_JSON_DEPTH, nestedDeeperThan } from './json-depth';

function scan(text: string, max = 3, chunkSize = text.length): boolean {
  const scanner = new JsonDepthScanner(max);
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += chunkSize) if (!scanner.feed(bytes.subarray(i, i + chunkSize))) return false;
  return true;
}

describe('JsonDepthScanner', () => {
  it('accepts nesting up to the bound and refuses one level more', () => {
    expect(scan('{"a":[{"b":1}]}')).toBe(true);
    expect(scan('{"a":[{"b":[1]}]}')).toBe(false);
    expect(scan('[[[]]]')).toBe(true);
    expect(scan('[[[[]]]]')).toBe(false);
  });

  it('counts siblings at their own depth, not cumulatively', () => {
    expect(scan(`[${'[[1]],'.repeat(1000)}[[2]]]`)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(scan('{"a":"[[[[[[{{{{"}')).toBe(true);
    expect(scan('{"a":"\\"[[[[[[","b":1}')).toBe(true);
    expect(scan('{"a":"\\\\","b":[[[[1]]]]}')).toBe(false);
  });

  it('keeps its state across chunk boundaries, one byte at a time', () => {
    expect(scan('{"a":"\\"[[[[","b":[1]}', 3, 1)).toBe(true);
    expect(scan('{"a":"x","b":[[[1]]]}', 3, 1)).toBe(false);
  });

  it('is not fooled by multi-byte UTF-8', () => {
    expect(scan('{"é€😀":"[[[[","b":"ü"}', 2, 1)).toBe(true);
  });

  it('agrees with a byte-by-byte reading on random bodies cut at random places', () => {
    // The reference: every byte in turn, the scanner's rules without its jumps.
    const reference = (text: string, max: number): boolean => {
      let [depth, inString, escaped] = [0, false, false];
      for (const byte of Buffer.from(text, 'utf8')) {
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === 0x5c) escaped = true;
          else if (byte === 0x22) inString = false;
        } else if (byte === 0x22) inString = true;
        else if (byte === 0x5b || byte === 0x7b) {
          if (++depth > max) return false;
        } else if (byte === 0x5d || byte === 0x7d) depth -= 1;
      }
      return true;
    };
    // mulberry32 with a fixed seed: the same 2,000 cases on every run.
    let seed = 14;
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const alphabet = ['"', '\\', '[', '[', ']', '{', '}', 'a', 'é'];
    // The deepest nesting each reading finds: the smallest bound it accepts.
    const deepest = (accepts: (max: number) => boolean) => Array.from({ length: 61 }, (_, max) => max).find(accepts);
    for (let n = 0; n < 2000; n++) {
      const text = Array.from({ length: 1 + random(60) }, () => alphabet[random(alphabet.length)]).join('');
      const chunk = 1 + random(8);
      expect([text, deepest((max) => scan(text, max, chunk))]).toEqual([text, deepest((max) => reference(text, max))]);
    }
  });

  it('refuses a 4 MB body of brackets at the first bracket past the bound', () => {
    const scanner = new JsonDepthScanner();
    const body = Buffer.alloc(4 * 1024 * 1024, '[');
    expect(scanner.feed(body.subarray(0, MAX_JSON_DEPTH))).toBe(true);
    expect(scanner.feed(body.subarray(MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1))).toBe(false);
  });
});

describe('nestedDeeperThan', () => {
  const nest = (levels: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { v: value };
    return value;
  };

  it('measures decoded values the way the scanner measures text', () => {
    expect(nestedDeeperThan([nest(MAX_JSON_DEPTH)])).toBe(false);
    expect(nestedDeeperThan([nest(MAX_JSON_DEPTH + 1)])).toBe(true);
    expect(nestedDeeperThan(['x', 2, null, nest(3)], 3)).toBe(false);
    expect(nestedDeeperThan(['x', nest(4)], 3)).toBe(true);
  });

  it('handles 100,000 levels without recursion', () => {
    expect(nestedDeeperThan([nest(100_000)])).toBe(true);
  });

  it('treats binary attachments as leaves', () => {
    expect(nestedDeeperThan([{ a: Buffer.alloc(10) }], 1)).toBe(false);
  });
});
