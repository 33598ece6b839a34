/** Re-assembles lines from arbitrary chunks (a UTF-8 character or a line may span chunks). */
export class LineSplitter {
  #pending = '';
  readonly #decoder = new TextDecoder('utf-8');
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: Buffer): void {
    this.#pending += this.#decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = this.#pending.indexOf('\n')) >= 0) {
      this.onLine(this.#pending.slice(0, nl).replace(/\r$/, ''));
      this.#pending = this.#pending.slice(nl + 1);
    }
  }
  flush(): void {
    this.#pending += this.#decoder.decode();
    if (this.#pending) this.onLine(this.#pending);
    this.#pending = '';
  }
}
