/** A command line that cannot run as given: the CLI prints its message and exits 2. */
export class UsageError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}
