/**
 * Runs a drawing once on the next animation frame, however often it is asked for before then:
 * pointer and resize events come faster than the screen refreshes.
 */
export class NextFrame {
  private id = 0;

  constructor(private readonly run: () => void) {}

  request(): void {
    if (this.id) return;
    this.id = requestAnimationFrame(() => {
      this.id = 0;
      this.run();
    });
  }

  /** Drops the frame asked for, if any; for good, as its owner is being disposed of. */
  cancel(): void {
    cancelAnimationFrame(this.id);
  }
}
