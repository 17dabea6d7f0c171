/**
 * One error type for everything a user can fix. `code` is a stable string
 * that scripts may match on; `exitCode` follows the table in the README.
 */
export type ErrorKind = 'usage' | 'input' | 'row' | 'internal';

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  input: 3,
  partial: 4,
} as const;

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number | string;
}

export class LetterMergeError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly location: ErrorLocation;
  readonly hint?: string;

  constructor(
    code: string,
    message: string,
    opts: { kind?: ErrorKind; location?: ErrorLocation; hint?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LetterMergeError';
    this.code = code;
    this.kind = opts.kind ?? 'input';
    this.location = opts.location ?? {};
    this.hint = opts.hint;
  }

  /** "file:line:column: message (hint)" — what the CLI prints. */
  describe(): string {
    const { file, line, column } = this.location;
    let where = '';
    if (file) {
      where = file;
      if (line !== undefined) where += `:${line}`;
      if (column !== undefined) where += typeof column === 'number' ? `:${column}` : ` (${column})`;
      where += ': ';
    }
    return `${where}${this.message}${this.hint ? `\n  ${this.hint}` : ''}`;
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof LetterMergeError) {
    switch (err.kind) {
      case 'usage':
        return EXIT.usage;
      case 'input':
        return EXIT.input;
      case 'row':
        return EXIT.partial;
      default:
        return EXIT.internal;
    }
  }
  return EXIT.internal;
}
