/** Why the client thinks its connection may be stale. */
export type WakeReason = 'online' | 'visible' | 'resumed' | 'clock-jump' | 'manual';

export interface WakeOptions {
  /** Timer tick used to notice that the process was suspended. Default 2 s. */
  readonly tickMs?: number;
  /** A tick this much later than due means the machine slept (or the tab was frozen). Default 5 s. */
  readonly jumpMs?: number;
}

interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/**
 * Notices what makes a live connection stale without closing it: the machine waking from sleep,
 * the network coming back, a hidden tab shown again, a frozen page resumed. In browsers it
 * listens for `online`, `visibilitychange`, `pageshow` and `resume`; everywhere (Node, Electron's
 * main process) a timer that fires far later than due reveals a suspended process.
 */
export class WakeDetector {
  private readonly cleanups: (() => void)[] = [];

  constructor(onWake: (reason: WakeReason) => void, options: WakeOptions = {}) {
    const tickMs = options.tickMs ?? 2_000;
    const jumpMs = options.jumpMs ?? 5_000;
    let last = Date.now();
    const timer = setInterval(() => {
      const now = Date.now();
      if (now - last > tickMs + jumpMs) onWake('clock-jump');
      last = now;
    }, tickMs);
    (timer as { unref?: () => void }).unref?.();
    this.cleanups.push(() => clearInterval(timer));

    const scope = globalThis as { window?: EventTargetLike; document?: EventTargetLike & { visibilityState?: string } };
    const { window, document } = scope;
    if (window?.addEventListener) {
      this.listen(window, 'online', () => onWake('online'));
      // A page restored from the back/forward cache, or unfrozen by the browser.
      this.listen(window, 'pageshow', () => onWake('resumed'));
    }
    if (document?.addEventListener) {
      this.listen(document, 'visibilitychange', () => {
        if (document.visibilityState === 'visible') onWake('visible');
      });
      this.listen(document, 'resume', () => onWake('resumed'));
    }
  }

  close(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  private listen(target: EventTargetLike, type: string, listener: () => void): void {
    target.addEventListener(type, listener);
    this.cleanups.push(() => target.removeEventListener(type, listener));
  }
}
