/**
 * Progress of a long command (prepare, check-data): on a terminal one line redrawn with \r twice a
 * second; elsewhere (a file, a CI log) plain lines every `plainEveryMs`, so the log stays readable
 * instead of one huge line of \r updates (issue 18.11).
 */
export interface ProgressWriter {
  /** `text` is the current state; shown now or skipped when the last one is recent. */
  update(text: string, final?: boolean): void;
  /** Ends the redrawn line (terminal) so that what follows starts on a line of its own. */
  end(): void;
}

export function progressWriter(
  out: NodeJS.WriteStream = process.stderr,
  plainEveryMs = Number(process.env.VGG2_PROGRESS_EVERY_MS ?? 10_000),
): ProgressWriter {
  const tty = out.isTTY === true;
  const every = tty ? 500 : plainEveryMs;
  let last = 0;
  let drawn = false;
  return {
    update(text, final = false) {
      const now = Date.now();
      if (now - last < every && !final) return;
      last = now;
      if (tty) {
        out.write(`\r${text}   `);
        drawn = true;
      } else out.write(`${text}\n`);
    },
    end() {
      if (drawn) out.write('\n');
      drawn = false;
    },
  };
}
