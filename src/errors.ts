/**
 * One error type for everything a user can fix. `code` is a stable name from ERROR_CODES that
 * scripts may match on; `kind` decides the exit status, in one place (exitCodeFor).
 */
export type ErrorKind = 'usage' | 'input' | 'row' | 'internal';

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  input: 3,
  partial: 4,
  /** Stopped by Ctrl-C, as shells expect (128 + SIGINT). */
  interrupted: 130,
} as const;

/** Every error code lettermerge uses, with what it means. */
export const ERROR_CODES = {
  USAGE: 'a command line that cannot be run as written',
  UNKNOWN_LANGUAGE: 'a language code lettermerge does not know',
  SHARD: 'a malformed --shard',
  CONFIG: 'a problem in lettermerge.config.yaml',
  OUT_FOLDER: 'an output folder that cannot be made or written',
  OUTSIDE_OUT: 'a folder under --out that leads outside it',
  OUT_NOT_PDF: 'an --out file that exists and is not a PDF (it would be written over)',
  NO_OUT: 'send was given something that is not a folder',
  NO_MANIFEST: 'send was given a folder without manifest.jsonl',
  FILE: 'a file that cannot be read',
  FILE_NOT_FOUND: 'a file that does not exist',
  NOT_A_FILE: 'a folder, pipe or device where a file was expected',
  FILE_TOO_LARGE: 'a file larger than lettermerge accepts for its use',
  NOT_TEXT: 'a template, campaign.yaml or other campaign file that is not plain text in UTF-8 or UTF-16',
  EMPTY_FILE: 'an empty recipients file',
  NO_RECIPIENTS: 'a recipients file with a header and no rows',
  INPUT_CHANGED: 'a recipients file that changed while its letters were being made',
  CSV_SYNTAX: 'a CSV that cannot be parsed',
  RAGGED_ROW: 'a row with more or fewer cells than the header',
  HEADER_REORDERED: 'a row that names the columns again, in another order (two lists put together)',
  MISSING_COLUMN: 'a core column missing from the header',
  DUPLICATE_COLUMN: 'a column named twice in the header',
  SPLIT_COLUMNS: 'a list whose postal address or last name is split over columns that no letter prints (a city, a postal code, a second surname)',
  DUPLICATE_ID: 'two rows with the same id (compared ignoring case)',
  ROW: 'a row that cannot be made into a letter',
  BAD_ID: 'an id that is empty or cannot name a file',
  BAD_VALUE: 'a language, group or gender lettermerge does not know',
  BAD_EMAIL: 'an e-mail address that is not one valid address',
  BAD_TEXT: 'a value with control characters or bytes that are not UTF-8',
  FIELD_TOO_LONG: 'a value longer than a letter holds',
  NO_ADDRESSEE: 'a row with neither a last name nor an organisation',
  NOT_FOUND: 'preview was asked for a recipient the file does not have',
  CAMPAIGN_NOT_FOUND: 'a campaign folder that does not exist',
  CAMPAIGN_YAML: 'campaign.yaml that is not valid YAML',
  CAMPAIGN: 'campaign.yaml with a wrong, missing or unknown key or value',
  SIGNATURE: 'a signature image that cannot be used',
  TEMPLATE: 'a template that cannot be compiled or filled',
  TEMPLATE_FRONT_MATTER: 'a template front matter that is not valid YAML',
  TEMPLATE_SUBJECT: 'a letter template without a subject',
  LANGUAGE_NOT_IN_CAMPAIGN: 'a recipient language the campaign has no templates for',
  MISSING_GLYPH: 'a character no bundled font can draw',
  FONT_FILE: 'a bundled font file that is missing or is not a font (an installation to repair)',
  BLOCK_TOO_LONG: 'a part of the letter too long to fit on a page',
  EMAIL_TOO_LARGE: 'an e-mail larger than email.max_bytes, with its attachments',
  SPREADSHEET: 'a spreadsheet that cannot be read as a recipients list',
  NOT_EMPTY: 'init into a folder that is not empty',
  CA_FILE: 'a --ca file that holds no certificate',
  SIGNING: 'a signing certificate that cannot be used (password, key, validity)',
  SMTP_URL: 'a malformed --smtp address',
  SMTP_PASSWORD: 'no SMTP password where one is needed',
  SMTP_PASSWORD_IN_URL: 'an --smtp address with a password in it',
  SMTP_CONNECT: 'an SMTP server that cannot be reached or used',
  SMTP_TLS: 'an SMTP server that offers no encryption for the password',
  SMTP_AUTH: 'an SMTP server that refused the login, or wants one',
  INTERNAL: 'a bug in lettermerge',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorLocation {
  file?: string;
  /** The sheet of a workbook (then `line` is its row number). */
  sheet?: string;
  line?: number;
  /** Character position on the line (1-based). */
  column?: number;
  /** The field (CSV column or campaign key) the problem is in. */
  field?: string;
}

export class LetterMergeError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly location: ErrorLocation;
  readonly hint?: string;

  constructor(
    code: ErrorCode,
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

  /** "file:line:column (field): message (hint)" — what the CLI prints. */
  describe(): string {
    const { file, line, column, field, sheet } = this.location;
    let where = '';
    if (file && sheet !== undefined) {
      where = `${file}: sheet ${sheet}${line !== undefined ? `, row ${line}` : ''}${field !== undefined ? `, ${/^[A-Z]{1,3}\d+$/.test(field) ? 'cell' : 'column'} ${field}` : ''}: `;
    } else if (file) {
      where = file;
      if (line !== undefined) where += `:${line}`;
      if (column !== undefined) where += `:${column}`;
      if (field !== undefined) where += ` (${field})`;
      where += ': ';
    }
    return `${where}${this.message}${this.hint ? `\n  ${this.hint.replace(/\n/g, '\n  ')}` : ''}`;
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

/** A worker thread stopped; its message says what to do. The stack of its error is kept for --debug. */
export class WorkerFailure extends Error {
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'WorkerFailure';
  }
}
