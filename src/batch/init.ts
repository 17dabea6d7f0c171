import { cpSync, copyFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LetterMergeError } from '../errors';
import { DEFAULT_CAMPAIGN, PACKAGE_ROOT } from '../paths';
import { makeDirs } from './output';

export interface InitOptions {
  /** The new campaign folder: it must not exist, or be empty. */
  dir: string;
}

export interface InitResult {
  dir: string;
  /** The files and folders written, sorted. */
  files: string[];
}

const GUIDE = `# This campaign

A lettermerge campaign: everything that is the same in every letter.

- \`campaign.yaml\` — the date, reference, sender, contact, letterhead, signature and languages.
  Values that differ by language are maps from language code to text.
- \`<language>/letter.md\` — the letter: Markdown (paragraphs, **bold**, *italic*, lists, links
  to \`https://…\` and \`mailto:…\`) with Handlebars fields such as \`{{salutation}}\`,
  \`{{organization}}\` or \`{{#if (eq group "government")}}…{{/if}}\`. The front matter between the
  \`---\` lines holds the \`subject:\`, the \`annex:\` line and, to replace the language's own, a
  \`closing:\`.
  A link's address may be a column, \`[our site]({{website}})\`: a row whose cell is not a web or
  e-mail address (\`www.…\` will do) fails; where the cell may be empty, write the link inside
  \`{{#if website}}…{{/if}}\`.
- \`<language>/email.txt\` — the plain-text cover note of the e-mail that carries the PDF: its
  text alone (the subject is the letter's; the sender and copies are under \`email:\` in
  \`campaign.yaml\`).
- \`signature.svg\` — the signature drawn above the sender's name (SVG paths, PNG or JPEG).
- \`recipients.csv\` — a few sample recipients to try it with.

Try it:

    lettermerge validate recipients.csv --campaign .
    lettermerge preview recipients.csv --campaign . --row 1 --text
    lettermerge preview recipients.csv --campaign . --row 1 --out letter.pdf --watch
    lettermerge generate recipients.csv --campaign . --out letters

Every column of the CSV can be used in the templates by its name; a name the data does not
have is an error that names the template file and line. A field is written between double
braces, \`{{first_name}}\` (with "_" for a space), and a word compared with one between straight
quotes, \`"government"\`: \`«first_name»\` or \`{first_name}\`, as other mail merges write them,
and curly quotes, as editors type them, are refused at their line, with what to write.
`;

/** Writes a new campaign folder from the built-in sample, ready to edit; never over existing files. */
export function init(options: InitOptions): InitResult {
  const { dir } = options;
  const target = path.resolve(dir);
  let exists = false;
  try {
    const st = statSync(target);
    exists = true;
    if (!st.isDirectory()) throw new LetterMergeError('NOT_EMPTY', `${dir} is a file, not a folder`, { kind: 'usage', hint: 'Choose a new folder name.' });
  } catch (err) {
    if (err instanceof LetterMergeError) throw err;
  }
  if (exists && readdirSync(target).length > 0) {
    throw new LetterMergeError('NOT_EMPTY', `${dir} already exists and is not empty`, {
      kind: 'usage',
      hint: 'Choose a new folder name; lettermerge init never overwrites files.',
    });
  }
  makeDirs(target, 'the campaign folder', 'Choose another place for the new campaign.');
  try {
    cpSync(DEFAULT_CAMPAIGN, target, { recursive: true, errorOnExist: true, force: false });
    copyFileSync(path.join(PACKAGE_ROOT, 'samples', 'recipients.csv'), path.join(target, 'recipients.csv'));
    writeFileSync(path.join(target, 'GUIDE.md'), GUIDE, { flag: 'wx' });
  } catch (err) {
    throw new LetterMergeError('OUT_FOLDER', `the campaign could not be written to ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { kind: 'input' });
  }
  return { dir: target, files: readdirSync(target).sort() };
}
