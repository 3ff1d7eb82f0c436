/**
 * An error an operator or API caller can act on: a stable code and one sentence saying what is
 * wrong and what to do. `status` is the HTTP status when it surfaces through the API.
 */
export class AppError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly options: { status?: number; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
  }

  get status(): number {
    return this.options.status ?? 500;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
