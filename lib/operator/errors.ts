/**
 * An error the operator can act on. Its message is one line that says what is wrong and what to do;
 * the CLIs print it as is (no stack trace) and exit non-zero.
 */
export class OperatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorError';
  }
}

/** One line for any error: OperatorErrors verbatim, others as "name: message" with newlines folded. */
export function oneLine(err: unknown): string {
  const text = err instanceof OperatorError ? err.message : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The AWS SDK v3 error name (e.g. "AccessDeniedException"), or '' for other values. */
export function awsErrorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}
