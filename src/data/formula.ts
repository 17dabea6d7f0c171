/**
 * Cells a spreadsheet would take for a formula. A value that begins with "=", "+", "-" or "@" (or
 * a tab or carriage return, which some spreadsheets skip before one) is run as a formula when a
 * CSV is opened in Excel or LibreOffice: a name typed as =HYPERLINK(…) into a web form, say. A
 * workbook keeps such a value as text, so turning the rows of an .xlsx list into failed.csv would
 * arm it.
 *
 * failed.csv therefore writes such a value after an apostrophe (shown as text, never run), and a
 * CSV is read with that apostrophe taken away again, so failed.csv reads back as the rows it came
 * from. A value that already begins with an apostrophe before one of these characters gets one
 * more, so that every value comes back as it was.
 */
const GUARDED = /^'*[=+\-@\t\r]/;

/** The cell as failed.csv writes it: behind an apostrophe when a spreadsheet would run it. */
export function guardFormula(value: string): string {
  return GUARDED.test(value) ? `'${value}` : value;
}

/** The cell as written before guardFormula: without the apostrophe it added. */
export function unguardFormula(value: string): string {
  return value.startsWith("'") && GUARDED.test(value) ? value.slice(1) : value;
}
