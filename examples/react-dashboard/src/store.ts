import { EMPTY_BOARD, type Board } from './board';

/**
 * The board, outside React, written to localStorage synchronously on every change. The SDK stores
 * a channel's position right after the handler returns, so board and positions always agree: a
 * reload resumes both from the same point.
 */
export class BoardStore {
  private board: Board;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly key: string) {
    this.board = BoardStore.read(key);
  }

  private static read(key: string): Board {
    try {
      const raw = localStorage.getItem(key);
      return raw ? { ...EMPTY_BOARD, ...(JSON.parse(raw) as Board) } : EMPTY_BOARD;
    } catch {
      return EMPTY_BOARD;
    }
  }

  readonly get = (): Board => this.board;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  update(change: (board: Board) => Board): void {
    this.board = change(this.board);
    localStorage.setItem(this.key, JSON.stringify(this.board));
    for (const listener of [...this.listeners]) listener();
  }
}
