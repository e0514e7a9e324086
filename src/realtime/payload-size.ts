/**
 * Approximate JSON size of a decoded Socket.IO argument list, stopping as soon as `budget` is
 * passed so a hostile payload costs at most `budget` work. Binary parts count their byte length.
 */
export function exceedsBudget(values: readonly unknown[], budget: number): boolean {
  let total = 0;
  const stack: unknown[] = [...values];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') total += value.length + 2;
    else if (typeof value === 'number' || typeof value === 'boolean') total += 8;
    else if (value === null || value === undefined) total += 4;
    else if (ArrayBuffer.isView(value)) total += value.byteLength;
    else if (value instanceof ArrayBuffer) total += value.byteLength;
    else if (Array.isArray(value)) {
      total += 2 + value.length;
      for (const item of value) stack.push(item);
    } else if (typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        total += key.length + 4;
        stack.push(item);
      }
    }
    if (total > budget) return true;
  }
  return false;
}
