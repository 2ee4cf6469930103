/** A folder that is not a usable run, or a run that cannot be written now; the message names it. */
export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunError';
  }
}
