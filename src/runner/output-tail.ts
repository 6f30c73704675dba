/**
 * Keeps the last `maxBytes` of a run's output, dropping whole lines from the front, so a tool
 * that prints gigabytes costs a bounded amount of memory.
 */
export class OutputTail {
  private lines: string[] = [];
  private head = 0;
  private bytes = 0;
  private dropped = 0;

  constructor(private readonly maxBytes: number) {}

  push(line: string): void {
    const clipped = line.length > this.maxBytes ? line.slice(-this.maxBytes) : line;
    this.lines.push(clipped);
    this.bytes += Buffer.byteLength(clipped) + 1;

    while (this.bytes > this.maxBytes && this.head < this.lines.length) {
      this.bytes -= Buffer.byteLength(this.lines[this.head]) + 1;
      this.head += 1;
      this.dropped += 1;
    }
    // Compact now and then instead of shifting on every dropped line.
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  text(): string {
    const body = this.lines.slice(this.head).join('\n');
    return this.dropped > 0
      ? `[output truncated: ${this.dropped} earlier lines dropped, last ${this.maxBytes} bytes kept]\n${body}`
      : body;
  }
}
