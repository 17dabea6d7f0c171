import type { ErrorCode } from './errors';
import type { LetterMergeError } from './errors';

/**
 * One problem, wherever it is found: a row that cannot be read, a letter that cannot be made,
 * a file or campaign that cannot be used. validate lists them, generate reports them and writes
 * failed.csv from them, workers send them back.
 */
export interface Problem {
  /** "file": the input as a whole cannot be used; "row": only that row (or one of its letters) fails. */
  scope: 'file' | 'row';
  code: ErrorCode;
  message: string;
  hint?: string;
  file?: string;
  /** The sheet of a workbook; `line` is then its row. */
  sheet?: string;
  line?: number;
  id?: string;
  /** The letter's language, for a problem of one letter of the row. */
  language?: string;
  /** The CSV column (or campaign key) the problem is in. */
  field?: string;
  /**
   * For a problem of a row whose cause lies in another file (a template that cannot be filled
   * with this row's values): that file, and its line. The problem itself stays at the row.
   */
  source?: { file: string; line?: number };
  /** True when making the letter hit a bug in lettermerge rather than a problem of its row. */
  internal?: boolean;
  /** For an internal problem: the stack trace, which the CLI shows with --debug. */
  detail?: string;
  /** The row's other problems, found with this one (a row is failed once, on its first). */
  also?: Problem[];
}

/** A problem from an error, placed in a file, row or letter. */
export function problemOf(err: LetterMergeError, scope: Problem['scope'], at: Partial<Problem> = {}): Problem {
  const p: Problem = { scope, code: err.code, message: err.message };
  if (err.hint !== undefined) p.hint = err.hint;
  const elsewhere = err.location.file !== undefined && err.location.file !== at.file;
  if (elsewhere && scope === 'row') {
    // A row's letter that a template cannot make: the problem is the row's, and names the template's line.
    p.source = { file: err.location.file!, ...(err.location.line !== undefined ? { line: err.location.line } : {}) };
    for (const key of ['file', 'sheet', 'line'] as const) if (at[key] !== undefined) Object.assign(p, { [key]: at[key] });
  } else {
    const file = err.location.file ?? at.file;
    if (file !== undefined) p.file = file;
    // A problem placed in another file is not given the row's sheet and line.
    const sheet = err.location.sheet ?? (elsewhere ? undefined : at.sheet);
    if (sheet !== undefined) p.sheet = sheet;
    const line = err.location.line ?? (elsewhere ? undefined : at.line);
    if (line !== undefined) p.line = line;
  }
  for (const key of ['id', 'language'] as const) if (at[key] !== undefined) p[key] = at[key];
  const field = err.location.field ?? at.field;
  if (field !== undefined) p.field = field;
  return p;
}

/** " (at es/letter.md:21)" for a problem whose cause lies in another file (see Problem.source); "" otherwise. */
export function sourceNote(p: Problem): string {
  return p.source ? ` (at ${p.source.file}${p.source.line !== undefined ? `:${p.source.line}` : ''})` : '';
}
